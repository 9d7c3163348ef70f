namespace Builder.Signing;

/// <summary>
/// Signing, verifying or attaching failed for a reason the user can act on (a wrong password, a key that does not
/// match its certificate, no signature that verifies): one message, exit code 1.
/// </summary>
public sealed class SigningException : Exception
{
    public SigningException(string message)
        : base(message)
    {
    }

    public SigningException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
