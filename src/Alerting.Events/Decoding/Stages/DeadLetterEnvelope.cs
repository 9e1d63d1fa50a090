namespace Alerting.Events;

/// <summary>
/// What the decode stage's dead-letter outlet emits: the dead-letter record (original key and value, reason and
/// origin in its headers) and the pass-through value of the record it was made from.
/// </summary>
/// <typeparam name="TPassThrough">The pass-through type of the source records.</typeparam>
/// <param name="Record">The record for the dead-letter topic.</param>
/// <param name="PassThrough">The source record's pass-through value.</param>
public sealed record DeadLetterEnvelope<TPassThrough>(DeadLetterRecord Record, TPassThrough PassThrough);
