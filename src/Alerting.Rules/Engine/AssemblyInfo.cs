using System.Runtime.CompilerServices;

// the rules specs keep a straightforward reference matcher over the compiled rules' event patterns
[assembly: InternalsVisibleTo("Alerting.Rules.Tests")]
