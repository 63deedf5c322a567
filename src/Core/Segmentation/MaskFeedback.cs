using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Segmentation;

/// <summary>
/// Turns a selection that was edited after the model answered (refined with colours, say) back into the low-res
/// logits the decoder takes as mask input, so that the next click starts from what the user sees. The model's own
/// logits are kept wherever they agree with the selection; cells where they disagree get a logit of the
/// selection's side, graded by how much of the cell it covers.
/// </summary>
public static class MaskFeedback
{
    /// <summary>Logit magnitude given to a cell that the edit fully flipped (SAM's confident logits lie around 5 to 20).</summary>
    public const float FlippedLogit = 8f;

    /// <param name="selection">The selection at the image size.</param>
    /// <param name="modelLowRes">The model's 256x256 low-res logits the selection was made from.</param>
    public static LogitMap FromSelection(Mask selection, LogitMap modelLowRes)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(modelLowRes);
        const int side = SamTransform.LowResSize;
        if (modelLowRes.Width != side || modelLowRes.Height != side)
            throw new SegArgumentException("low-res logits", $"are {modelLowRes.Width}x{modelLowRes.Height}, expected {side}x{side}");
        int w = selection.Width, h = selection.Height;
        var t = SamTransform.For(w, h);
        var result = modelLowRes.Clone();
        // A low-res cell covers 4x4 model pixels; the model frame is the image resized to (ResizedWidth, ResizedHeight).
        double sx = (double)w / t.ResizedWidth, sy = (double)h / t.ResizedHeight;
        int cellsX = Math.Min(side, (t.ResizedWidth + 3) / 4), cellsY = Math.Min(side, (t.ResizedHeight + 3) / 4);
        for (int v = 0; v < cellsY; v++)
        {
            int y0 = Math.Min(h - 1, (int)(4 * v * sy)), y1 = Math.Clamp((int)Math.Ceiling((4 * v + 4) * sy), y0 + 1, h);
            for (int u = 0; u < cellsX; u++)
            {
                int x0 = Math.Min(w - 1, (int)(4 * u * sx)), x1 = Math.Clamp((int)Math.Ceiling((4 * u + 4) * sx), x0 + 1, w);
                int on = 0;
                for (int y = y0; y < y1; y++)
                {
                    var row = selection.Row(y).Slice(x0, x1 - x0);
                    for (int x = 0; x < row.Length; x++) if (row[x] != 0) on++;
                }
                double f = (double)on / ((x1 - x0) * (y1 - y0));
                ref float cell = ref result.Data[v * side + u];
                if (f >= 0.5 && cell <= 0) cell = (float)((2 * f - 1) * FlippedLogit + 0.5);
                else if (f < 0.5 && cell > 0) cell = (float)((2 * f - 1) * FlippedLogit - 0.5);
            }
        }
        return result;
    }
}
