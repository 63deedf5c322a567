namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// SAM's mask postprocessing done on the CPU: 256x256 low-res logits are upscaled bilinearly (half-pixel centres,
/// as PyTorch's align_corners=False) to the 1024 model frame, cropped to the resized image, then upscaled
/// bilinearly to the source size. The hard-mask paths (LogitUpscaler.Mask.cs) work only inside the region that can
/// be above the threshold and evaluate the last, largest step only where two source samples straddle it.
/// </summary>
internal static partial class LogitUpscaler
{
    /// <summary>Source index pairs and weights of a 1-D bilinear resize with half-pixel centres.</summary>
    internal readonly struct Axis
    {
        public Axis(int inSize, int outSize)
        {
            I0 = new int[outSize];
            I1 = new int[outSize];
            W1 = new float[outSize];
            float scale = (float)inSize / outSize;
            for (int o = 0; o < outSize; o++)
            {
                float src = scale * (o + 0.5f) - 0.5f;
                if (src < 0) src = 0;
                int i0 = Math.Min((int)src, inSize - 1);
                I0[o] = i0;
                I1[o] = i0 < inSize - 1 ? i0 + 1 : i0;
                W1[o] = src - i0;
            }
        }

        public int[] I0 { get; }
        public int[] I1 { get; }
        public float[] W1 { get; }
    }

    /// <summary>The low-res logits upscaled to 1024 and cropped to <paramref name="cropWidth"/> x <paramref name="cropHeight"/>.</summary>
    public static float[] ModelFrame(ReadOnlySpan<float> lowRes, int cropWidth, int cropHeight, int lowSize = 256, int modelSize = 1024)
    {
        var ax = new Axis(lowSize, modelSize);
        var result = new float[cropWidth * cropHeight];
        var rowBuf = new float[lowSize];
        for (int y = 0; y < cropHeight; y++)
        {
            int y0 = ax.I0[y], y1 = ax.I1[y];
            float wy = ax.W1[y], wy0 = 1f - wy;
            var r0 = lowRes.Slice(y0 * lowSize, lowSize);
            var r1 = lowRes.Slice(y1 * lowSize, lowSize);
            for (int x = 0; x < lowSize; x++) rowBuf[x] = wy0 * r0[x] + wy * r1[x];
            var dst = result.AsSpan(y * cropWidth, cropWidth);
            for (int x = 0; x < cropWidth; x++)
            {
                float wx = ax.W1[x];
                dst[x] = (1f - wx) * rowBuf[ax.I0[x]] + wx * rowBuf[ax.I1[x]];
            }
        }
        return result;
    }

    /// <summary>Full-resolution logits: bilinear from the cropped model frame to the source size.</summary>
    public static float[] Logits(float[] frame, int frameWidth, int frameHeight, int width, int height)
    {
        var ax = new Axis(frameWidth, width);
        var ay = new Axis(frameHeight, height);
        var result = new float[(long)width * height];
        Parallel.For(0, height, () => new float[frameWidth], (y, _, rowBuf) =>
        {
            Blend(frame.AsSpan(ay.I0[y] * frameWidth, frameWidth), frame.AsSpan(ay.I1[y] * frameWidth, frameWidth), ay.W1[y], rowBuf);
            var dst = result.AsSpan(y * width, width);
            for (int x = 0; x < width; x++)
            {
                float wx = ax.W1[x];
                dst[x] = (1f - wx) * rowBuf[ax.I0[x]] + wx * rowBuf[ax.I1[x]];
            }
            return rowBuf;
        }, _ => { });
        return result;
    }
}
