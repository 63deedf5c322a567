namespace SegPlugins.Core.Masks;

public static class LogitMapExtensions
{
    /// <summary>
    /// Soft mask alpha = sigmoid(logit / <paramref name="temperature"/>) * 255, rounded. Logit 0 (SAM's decision
    /// boundary) maps to 128, so <c>ToSoftMask().ToMask()</c> agrees with <c>ToMask(0)</c> except at exactly 0.
    /// </summary>
    public static SoftMask ToSoftMask(this LogitMap logits, float temperature = 1f)
    {
        if (!(temperature > 0f) || !float.IsFinite(temperature))
            throw new SegArgumentException(nameof(temperature), $"must be a positive finite number, got {temperature}");
        var m = new SoftMask(logits.Width, logits.Height);
        var src = logits.Data;
        var dst = m.Data;
        float inv = 1f / temperature;
        for (int i = 0; i < src.Length; i++)
        {
            float v = src[i];
            if (float.IsNaN(v)) { dst[i] = 0; continue; }
            float s = 1f / (1f + MathF.Exp(-v * inv));
            dst[i] = (byte)(s * 255f + 0.5f);
        }
        return m;
    }
}
