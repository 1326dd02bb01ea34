using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Logging;

/// <summary>One-line log records ("time level category: message") to a <see cref="LogSink"/>.</summary>
public sealed class AgentLoggerProvider(LogSink sink, LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new AgentLogger(sink, minimum, Shorten(categoryName));

    public void Dispose()
    {
    }

    private static string Shorten(string category)
    {
        int dot = category.LastIndexOf('.');
        return dot >= 0 ? category[(dot + 1)..] : category;
    }

    private sealed class AgentLogger(LogSink sink, LogLevel minimum, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            string level = logLevel switch
            {
                LogLevel.Trace => "trace", LogLevel.Debug => "debug", LogLevel.Information => "info",
                LogLevel.Warning => "warn", LogLevel.Error => "error", _ => "crit",
            };
            string line = $"{DateTime.UtcNow:HH:mm:ss.fff} katasharp-agent {level} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += $" ({exception.GetType().Name}: {exception.Message})";
            }
            sink.Write(line);
        }
    }
}
