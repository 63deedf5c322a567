namespace SegPlugins.Core.Inference.Quantization;

/// <summary>Numeric precision of the SAM image encoder.</summary>
public enum ModelPrecision
{
    /// <summary>The published float32 encoder, as verified by its pinned SHA-256.</summary>
    Fp32,

    /// <summary>
    /// The float32 encoder with its weight matrix products rewritten to ONNX Runtime's dynamically quantized
    /// int8 operators, made in process on first use and kept in the model cache (see <see cref="QuantizedModelCache"/>).
    /// </summary>
    Int8,
}

/// <summary>Parsing of the <c>--precision</c> option shared by every host.</summary>
public static class ModelPrecisions
{
    public static ModelPrecision Parse(string text, string parameter = "--precision") => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" or "float" => ModelPrecision.Fp32,
        "int8" => ModelPrecision.Int8,
        _ => throw new SegArgumentException(parameter, $"'{text}' is not a precision; expected fp32 or int8"),
    };

    public static string Name(this ModelPrecision precision) => precision == ModelPrecision.Int8 ? "int8" : "fp32";
}
