namespace Alerting;

/// <summary>
/// The event ids of every log message of the service, in one table (linked into each project that logs): one
/// range per component, so an operator can filter or alert on an id and know where it comes from. A
/// <c>[LoggerMessage]</c> takes its <c>EventId</c> from here, never a literal.
/// </summary>
internal static class LogEvents
{
    // 1000–1099: the demo (`demo`)
    public const int DemoStarted = 1000;
    public const int DemoPartFailed = 1001;
    public const int DemoConsumeError = 1002;

    // 1100–1199: the alert application host
    public const int AlertApplicationStarting = 1100;
    public const int AlertApplicationStopped = 1101;
    public const int AlertApplicationNotRunning = 1102;
    public const int AlertApplicationFailed = 1103;
    public const int AlertApplicationNoBootstrap = 1104;

    // 1200–1249: the alert graph and its checkpoints
    public const int AlertGraphRestored = 1201;
    public const int AlertGraphCheckpointFailed = 1202;
    public const int AlertGraphCommitFailed = 1203;
    public const int AlertGraphCheckpointError = 1204;
    public const int AlertGraphInspectUnanswered = 1205;

    // 1250–1254: live rules: the control topic
    public const int RuleControlTaken = 1250;
    public const int RuleControlRefused = 1251;
    public const int RuleControlUndecodable = 1252;
    public const int RuleControlCaughtUp = 1253;
    public const int RuleControlFollowFailed = 1254;

    // 1255–1299: live rules: swaps in the alert graph
    public const int LiveRulesSwapped = 1255;
    public const int LiveRulesUnknownRulesVersion = 1256;

    // 1260–1279: live rules: bootstraps over history
    public const int BootstrapStarted = 1260;
    public const int BootstrapDone = 1261;
    public const int BootstrapPastRetention = 1262;
    public const int BootstrapNoOffsetForTime = 1263;
    public const int BootstrapHoldFull = 1264;

    // 1300–1399: the dispatch application host
    public const int DispatchApplicationStarting = 1300;
    public const int DispatchApplicationEnded = 1301;
    public const int DispatchApplicationFailed = 1302;
    public const int DispatchApplicationStartFailed = 1303;

    // 1400–1499: operations: admin endpoint, metrics, status line
    public const int AdminListening = 1400;
    public const int AdminStopped = 1401;
    public const int AdminRefused = 1402;
    public const int AdminFailed = 1403;
    public const int AdminStopFailed = 1404;
    public const int MetricsPartFailed = 1410;
    public const int StatusFailed = 1420;
    public const int DeadLettersNotReplayed = 1430;

    // 4600–4649: operations: the web view
    public const int WebLoginRefused = 4600;
    public const int WebRuleFileUnreadable = 4601;

    // 2200–2299: Kafka stages: consumer, producer, committer
    public const int KafkaPartitionsAssigned = 2200;
    public const int KafkaPartitionsRevoked = 2201;
    public const int KafkaPartitionsLost = 2202;
    public const int KafkaConsumeError = 2203;
    public const int KafkaConsumerFailed = 2204;
    public const int KafkaCommitFailed = 2205;
    public const int KafkaCommitSlow = 2206;
    public const int KafkaCommitOfRevokedSkipped = 2207;
    public const int KafkaPartitionHandlerSlow = 2208;
    public const int KafkaCloseFailed = 2209;
    public const int KafkaClosed = 2210;
    public const int KafkaClientError = 2211;
    public const int KafkaClientLog = 2212;
    public const int KafkaOffsetReset = 2213;
    public const int KafkaCommitRefusedDuringRebalance = 2214;
    public const int KafkaDeliveryFailed = 2220;
    public const int KafkaProduceFailed = 2221;
    public const int KafkaFlushIncomplete = 2222;
    public const int KafkaLogEndProbeFailed = 2230;
    public const int KafkaLogEndProbeTimedOut = 2231;

    // 4100–4199: device entities (dispatch)
    public const int DeviceEntityPersistFailed = 4100;
    public const int DeviceEntityPersistRejected = 4101;
    public const int DeviceEntityRecoveryFailed = 4102;
    public const int DeviceEntitySnapshotFailed = 4103;
    public const int DeviceEntityDeleteEventsFailed = 4104;
    public const int DeviceEntityDeleteSnapshotsFailed = 4105;

    // 4200–4299: the device shard region and its delivery
    public const int DispatchShardsLocated = 4200;
    public const int DispatchShardsNotLocated = 4201;
    public const int DispatchDeadLetter = 4202;
    public const int DispatchCommandNotAcknowledged = 4203;
    public const int DispatchDeliveryFailed = 4204;
    public const int DispatchCommandRetried = 4205;

    // 4650–4699: the service host: profile and transport security, the dev broker's control channel
    public const int HostTransportInsecure = 4650;
    public const int HostBrokerCommandApplied = 4651;
    public const int HostBrokerCommandRefused = 4652;
    public const int HostBrokerControlClosed = 4653;

    // 5100–5199: the device-config lookup
    public const int LookupLoadFailed = 5100;
    public const int LookupLoadRecovered = 5101;
    public const int LookupLoadFailedPermanently = 5102;
}
