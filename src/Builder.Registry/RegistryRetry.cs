using Builder.Oci.Content;
using Polly;
using Polly.Retry;

namespace Builder.Registry;

/// <summary>
/// Bounded retries for registry operations: connection failures, resets mid-transfer, timeouts, 5xx and 429 are
/// tried again with exponential backoff and jitter (Retry-After honoured); refusals (4xx) and digest mismatches
/// are not. Whole operations are retried, so each attempt sends fresh requests with fresh bodies.
/// </summary>
public sealed class RegistryRetry
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    private readonly ResiliencePipeline _pipeline;

    public RegistryRetry(RegistryOptions options)
    {
        _pipeline = options.MaxRetries <= 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is RegistryException { RetryAfter: { } wait } && wait > TimeSpan.Zero
                        ? (TimeSpan?)(wait < MaxDelay ? wait : MaxDelay)
                        : null),
            }).Build();
    }

    public ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(operation, cancellationToken);

    public static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        RegistryException registry => registry.IsTransient,
        ContentVerificationException => false,
        HttpRequestException or IOException => true,
        // HttpClient's own timeout, not the caller giving up.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
