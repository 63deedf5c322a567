namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// SAM's mask postprocessing done on the CPU: 256x256 low-res logits are upscaled bilinearly (half-pixel centres,
/// as PyTorch's align_corners=False) to the 1024 model frame, cropped to the resized image, then upscaled
/// bilinearly to the source size. The hard mask path evaluates the last, largest step only where the two source
/// samples straddle the threshold; elsewhere the sign is known and the output is filled in runs.
/// </summary>
internal static class LogitUpscaler
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
            BlendRows(frame, frameWidth, ay.I0[y], ay.I1[y], ay.W1[y], rowBuf);
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

    /// <summary>
    /// The hard mask (logit &gt; <paramref name="threshold"/> gives 255) at the source size, equal to thresholding
    /// <see cref="Logits"/> but without computing the logits where both neighbouring samples agree.
    /// </summary>
    public static byte[] Mask(float[] frame, int frameWidth, int frameHeight, int width, int height, float threshold)
    {
        var ax = new Axis(frameWidth, width);
        var ay = new Axis(frameHeight, height);
        // Output columns that read source column pair (s, s+1) form one run; find the runs once.
        var runStart = new int[frameWidth + 1];
        {
            int s = 0;
            for (int x = 0; x < width; x++)
            {
                int i0 = ax.I0[x];
                while (s <= i0) runStart[s++] = x;
            }
            while (s <= frameWidth) runStart[s++] = width;
        }
        var result = new byte[(long)width * height];
        Parallel.For(0, height, () => new float[frameWidth], (y, _, rowBuf) =>
        {
            BlendRows(frame, frameWidth, ay.I0[y], ay.I1[y], ay.W1[y], rowBuf);
            var dst = result.AsSpan(y * width, width);
            for (int s = 0; s < frameWidth; s++)
            {
                int a = runStart[s], b = runStart[s + 1];
                if (a == b) continue;
                float v0 = rowBuf[s], v1 = rowBuf[s + 1 < frameWidth ? s + 1 : s];
                bool in0 = v0 > threshold, in1 = v1 > threshold;
                if (in0 == in1)
                {
                    dst[a..b].Fill(in0 ? (byte)255 : (byte)0);
                    continue;
                }
                for (int x = a; x < b; x++)
                {
                    float wx = ax.W1[x];
                    float v = (1f - wx) * rowBuf[ax.I0[x]] + wx * rowBuf[ax.I1[x]];
                    dst[x] = v > threshold ? (byte)255 : (byte)0;
                }
            }
            return rowBuf;
        }, _ => { });
        return result;
    }

    private static void BlendRows(float[] frame, int w, int y0, int y1, float wy, float[] dst)
    {
        var r0 = frame.AsSpan(y0 * w, w);
        var r1 = frame.AsSpan(y1 * w, w);
        float wy0 = 1f - wy;
        if (wy == 0f) { r0.CopyTo(dst); return; }
        for (int x = 0; x < w; x++) dst[x] = wy0 * r0[x] + wy * r1[x];
    }
}
