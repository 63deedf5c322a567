namespace SegPlugins.Core;

/// <summary>
/// An error a user can act on: bad input, a missing or wrong model, a failed fetch.
/// The message names the file, parameter, model or tensor at fault and says what was expected.
/// Hosts show <see cref="Exception.Message"/> as is.
/// </summary>
public class SegException : Exception
{
    public SegException(string message) : base(message) { }
    public SegException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A parameter or prompt outside its valid range.</summary>
public sealed class SegArgumentException : SegException
{
    public SegArgumentException(string parameter, string message) : base($"{parameter}: {message}") => Parameter = parameter;
    public string Parameter { get; }
}

/// <summary>An input file that cannot be used (corrupt, unsupported format, too large).</summary>
public sealed class SegInputException : SegException
{
    public SegInputException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner ?? new Exception(message)) => Path = path;
    public string Path { get; }
}

/// <summary>A model that is missing, corrupt, or does not have the expected inputs and outputs.</summary>
public sealed class SegModelException : SegException
{
    public SegModelException(string model, string message, Exception? inner = null)
        : base($"model {model}: {message}", inner ?? new Exception(message)) => Model = model;
    public string Model { get; }
}
