namespace KataSharp.Runtime.Ttrpc;

/// <summary>
/// Turns a handler's domain exception into a status. The ttrpc layer knows no domain errors;
/// the service that owns them supplies the one table that maps them.
/// </summary>
public interface ITtrpcErrorTranslator
{
    TtrpcException Translate(Exception exception);
}
