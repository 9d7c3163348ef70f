using Microsoft.Build.Framework;

namespace Builder.MSBuild;

/// <summary>A task whose work is async and cancellable (Ctrl+C in dotnet build reaches it through <see cref="Cancel"/>).</summary>
public abstract class AsyncTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        try
        {
            return ExecuteAsync(_cancel.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            Log.LogError($"{GetType().Name} was canceled");
            return false;
        }
    }

    protected abstract Task<bool> ExecuteAsync(CancellationToken cancellationToken);
}
