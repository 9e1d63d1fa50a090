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
/// On Linux x64 the library is the statically linked build that librdkafka.redist ships as
/// <c>runtimes/linux-x64/native/centos8-librdkafka.so</c> (SASL and TLS built in, nothing needed from the
/// system): the redist's default Linux build needs <c>libsasl2.so.3</c>, which Debian 12 lacks. It is looked
/// for under the application's base directory, where a build or <c>dotnet publish</c> puts the redist's files
/// (<c>runtimes/linux-x64/native/</c>, or the base directory itself after a runtime-specific publish).
/// Elsewhere the runtime's default probing for <c>librdkafka</c> picks the redist's build for the platform.
/// Confluent.Kafka's imports of <c>librdkafka</c> are answered by a <see cref="NativeLibrary"/> import
/// resolver with that handle; <c>Library.Load(path)</c> is not used, since it calls <c>dlopen</c> from
/// <c>libdl</c>, which glibc 2.34+ ships only as <c>libdl.so.2</c>. The resolver is registered when this
/// assembly is loaded, so code here that builds a client directly cannot reach Confluent.Kafka before it: without
/// it the runtime's own search would pick whatever librdkafka the system has (Debian's 2.0.2, where installed).
/// Code elsewhere builds its clients through <see cref="KafkaClients"/>, which calls <see cref="EnsureLoaded"/>.
/// </remarks>
public static class KafkaNative
{
    /// <summary>The library name Confluent.Kafka and this assembly's P/Invoke declarations import.</summary>
    internal const string LibraryName = "librdkafka";

    /// <summary>The file name of the redist's statically linked Linux x64 build.</summary>
    public const string StaticLinuxBuild = "centos8-librdkafka.so";

    private static readonly Lock s_gate = new();
    private static volatile bool s_registered;
    private static volatile bool s_loaded;
    private static IntPtr s_handle;

    /// <summary>Set while this thread loads the library, so the default search it may start is not answered by the resolver.</summary>
    [ThreadStatic]
    private static bool t_loading;

    /// <summary>The path or name the native library was loaded from, once <see cref="EnsureLoaded"/> has run.</summary>
    public static string? LoadedFrom { get; private set; }

    /// <summary>The version of the loaded librdkafka, e.g. <c>2.16.0</c> (loads it first if needed).</summary>
    public static string Version
    {
        get
        {
            EnsureLoaded();
            return Library.VersionString;
        }
    }

    /// <summary>
    /// Loads librdkafka and points Confluent.Kafka at it, once. Later calls return at once.
    /// </summary>
    /// <exception cref="DllNotFoundException">The native library is not where the redist package puts it.</exception>
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

            Register();
            t_loading = true;
            try
            {
                (s_handle, LoadedFrom) = Load();
            }
            finally
            {
                t_loading = false;
            }

            s_loaded = true;
        }
    }

#pragma warning disable CA2255 // The resolver must be in place before this assembly's code first reaches Confluent.Kafka.
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterOnLoad()
    {
        lock (s_gate)
        {
            Register();
        }
    }

    /// <summary>Registers the import resolver of Confluent.Kafka and of this assembly, once (under the gate).</summary>
    private static void Register()
    {
        if (s_registered)
        {
            return;
        }

        NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, Resolve);
        NativeLibrary.SetDllImportResolver(typeof(KafkaNative).Assembly, Resolve);
        s_registered = true;
    }

    /// <summary>The places, in order, where the statically linked Linux x64 build is looked for.</summary>
    public static IReadOnlyList<string> StaticBuildCandidates()
    {
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(KafkaNative).Assembly.Location) }
            .Where(d => !string.IsNullOrEmpty(d))
            .Distinct(StringComparer.Ordinal);
        return
        [
            .. roots.SelectMany(root => new[]
            {
                Path.Combine(root!, "runtimes", "linux-x64", "native", StaticLinuxBuild),
                Path.Combine(root!, StaticLinuxBuild),
            }),
        ];
    }

    private static (IntPtr Handle, string From) Load()
    {
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            var candidates = StaticBuildCandidates();
            foreach (var path in candidates)
            {
                if (File.Exists(path))
                {
                    return (NativeLibrary.Load(path), path);
                }
            }

            throw new DllNotFoundException(
                $"{StaticLinuxBuild} (from the librdkafka.redist package) was not found; looked at: {string.Join(", ", candidates)}");
        }

        // Other platforms: the redist's build for the platform, found the way Confluent.Kafka's own import would.
        return (NativeLibrary.Load(LibraryName, typeof(Library).Assembly, null), LibraryName);
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName || t_loading)
        {
            return IntPtr.Zero;
        }

        // The first import loads the library, whoever asks first (a client built directly, or EnsureLoaded).
        EnsureLoaded();
        return s_handle;
    }
}
