namespace SegPlugins.Core.Inference.Quantization;

/// <summary>
/// How <see cref="Int8Quantizer"/> rewrites a float32 graph. The defaults were chosen on MobileSAM's encoder on a
/// 2-core AMD EPYC (Zen 3, AVX2 without VNNI), alternating the variants in one process (medians of 4-5 runs,
/// ratios to the float32 encoder; relative L2 error of the [1,256,64,64] embedding):
/// 8-bit per-channel weights 0.79x, error 0.023; 7-bit per-channel 0.78x, error 0.014; 7-bit plus the 1x1
/// convolutions as integer matrix products 0.74x, error 0.026; 7-bit plus tanh GELU 0.70x, error 0.014 (within
/// the machine's noise of 7-bit alone).
/// </summary>
public sealed record Int8QuantizerOptions
{
    /// <summary>
    /// Bits of the signed weights (7 or 8). 7 by default: without VNNI, ONNX Runtime multiplies uint8 activations by
    /// int8 weights with an instruction whose 16-bit pair sums saturate for 8-bit weights (measured: the embedding
    /// error falls from 0.023 to 0.014 with 7 bits, at the same speed).
    /// </summary>
    public int WeightBits { get; init; } = 7;

    /// <summary>One scale per output column of each weight matrix (per-tensor otherwise): finer, no slower.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>Folds a following bias Add into the quantized product (one pass over the output fewer).</summary>
    public bool FoldBias { get; init; } = true;

    /// <summary>Weight matrices with fewer elements stay float32 (nothing to gain, a little accuracy to lose).</summary>
    public int MinWeightElements { get; init; } = 4096;

    public static Int8QuantizerOptions Default { get; } = new();

    internal void Validate()
    {
        if (WeightBits is < 2 or > 8)
            throw new SegArgumentException(nameof(WeightBits), $"{WeightBits} bits; expected 2 to 8");
        if (MinWeightElements < 0)
            throw new SegArgumentException(nameof(MinWeightElements), $"{MinWeightElements}; expected 0 or more");
    }
}
