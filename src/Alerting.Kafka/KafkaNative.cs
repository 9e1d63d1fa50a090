using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Alerting.Kafka;

/// <summary>
/// Loads the native librdkafka once per process, for Confluent.Kafka and for this assembly's own
/// P/Invoke declarations (the mock cluster), so both use the same library instance.
/// Every type that touches librdkafka calls <see cref="EnsureLoaded"/> first; it is idempotent and thread-safe.
/// </summary>
/// <remarks>
/// The library is found under the names Debian installs (<c>librdkafka.so.1</c> from librdkafka1,
/// <c>librdkafka.so</c> from librdkafka-dev), then by the platform's default search. Confluent.Kafka's
/// own imports of <c>librdkafka</c> and <c>libdl</c> are resolved to the same handle and to
/// <c>libdl.so.2</c> (glibc 2.34+ ships no plain <c>libdl.so</c>).
/// </remarks>
public static class KafkaNative
{
    /// <summary>The library name this assembly's P/Invoke declarations import.</summary>
    internal const string LibraryName = "librdkafka";

    private static readonly string[] s_candidates =
        ["librdkafka.so.1", "librdkafka.so", "librdkafka.dylib", "librdkafka"];

    private static readonly Lock s_gate = new();
    private static volatile bool s_loaded;
    private static IntPtr s_handle;

    /// <summary>The path or name the native library was loaded from, once <see cref="EnsureLoaded"/> has run.</summary>
    public static string? LoadedFrom { get; private set; }

    /// <summary>
    /// Loads librdkafka and initialises Confluent.Kafka over it, once. Later calls return at once.
    /// </summary>
    /// <exception cref="DllNotFoundException">No librdkafka could be found on this machine.</exception>
    public static void EnsureLoaded()
    {
        if (s_loaded)
        {
            return;
        }

        lock (s_gate)
        {
            if (s_loaded)
            {
                return;
            }

            foreach (var candidate in s_candidates)
            {
                if (NativeLibrary.TryLoad(candidate, out s_handle))
                {
                    LoadedFrom = candidate;
                    break;
                }
            }

            if (s_handle == IntPtr.Zero)
            {
                throw new DllNotFoundException(
                    "librdkafka was not found: install it (apt-get install librdkafka1 librdkafka-dev).");
            }

            NativeLibrary.SetDllImportResolver(typeof(KafkaNative).Assembly, Resolve);
            NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, Resolve);
            Library.Load();
            s_loaded = true;
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName == LibraryName)
        {
            return s_handle;
        }

        if (libraryName == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var libdl))
        {
            return libdl;
        }

        return IntPtr.Zero;
    }
}
