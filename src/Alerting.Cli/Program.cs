namespace Alerting.Cli;

internal static class Program
{
    public static int Main(string[] args) => AlertCtl.Run(args, Console.Out, Console.Error);
}
