namespace Alerting.Rules;

/// <summary>A template, rule or rule set was refused; <see cref="Errors"/> says where and why.</summary>
public sealed class RuleSetException : Exception
{
    public RuleSetException(IReadOnlyList<RuleError> errors)
        : base(string.Join(Environment.NewLine, errors ?? throw new ArgumentNullException(nameof(errors))))
    {
        Errors = errors;
    }

    public RuleSetException()
        : this([])
    {
    }

    public RuleSetException(string message)
        : this([new RuleError(null, null, 0, 0, message)])
    {
    }

    public RuleSetException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new RuleError(null, null, 0, 0, message)];
    }

    public IReadOnlyList<RuleError> Errors { get; }
}
