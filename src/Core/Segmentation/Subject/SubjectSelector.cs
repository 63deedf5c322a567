using Microsoft.ML.OnnxRuntime;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Core.Segmentation.Subject;

/// <summary>How <see cref="SubjectSelector.Select"/> turns saliency into a selection.</summary>
public enum SubjectMode
{
    /// <summary>The salient-object map thresholded at 0.5.</summary>
    Saliency,
    /// <summary>SAM prompted with the box around the salient object.</summary>
    SamBox,
    /// <summary>SAM prompted with the box and a click on the salient object's most interior point.</summary>
    SamBoxAndPoint,
}

/// <summary>
/// "Select subject" without prompts, with the U2-Net portable salient-object model (u2netp). Preprocessing follows
/// the model's publisher: resize to 320x320, divide by the image maximum, normalise with ImageNet mean and std; the
/// first output is min-max normalised and resized back to the source size.
/// </summary>
public sealed class SubjectSelector : IDisposable
{
    public const int InputSize = 320;

    // ImageNet statistics on the 0-1 scale, as in U2-Net's reference data loader.
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly string _output;
    private readonly Inference.Internal.RunGate _gate;

    private SubjectSelector(InferenceSession session, string input, string output, string name)
    {
        _gate = new Inference.Internal.RunGate(name);
        _session = session;
        _input = input;
        _output = output;
        ModelName = name;
    }

    public string ModelName { get; }

    public static SubjectSelector Open(string modelPath, EngineOptions? options = null, string? name = null)
    {
        name ??= Path.GetFileNameWithoutExtension(modelPath);
        var session = OnnxModelLoader.Open(modelPath, name, options ?? EngineOptions.Default, out _);
        try
        {
            const string expected = "expected a salient-object model with one input [1,3,320,320] and a first output [1,1,320,320]";
            if (session.InputMetadata.Count != 1)
                throw new SegModelException(name, $"{modelPath} has inputs {OnnxModelLoader.Describe(session.InputMetadata)}; {expected}");
            var (inName, inMeta) = session.InputMetadata.First();
            var d = inMeta.Dimensions;
            if (d.Length != 4 || (d[1] > 0 && d[1] != 3) || (d[2] > 0 && d[2] != InputSize) || (d[3] > 0 && d[3] != InputSize))
                throw new SegModelException(name, $"{modelPath}: input '{inName}' has shape [{string.Join(',', d)}]; {expected}");
            var outName = session.OutputNames[0];
            return new SubjectSelector(session, inName, outName, name);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public static async Task<SubjectSelector> OpenAsync(EngineOptions? options = null, IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var files = await ModelStore.CreateDefault().EnsureAsync(ModelIds.U2NetP, progress, cancellationToken).ConfigureAwait(false);
        return Open(files.PathOf(ModelRole.Saliency), options, ModelIds.U2NetP);
    }

    /// <summary>The saliency map at the source size, 0..1 after min-max normalisation, as a float map.</summary>
    public LogitMap Saliency(BgraImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rgb = PilResize.ResizeBgraToRgb(image.Pixels, image.Width, image.Height, image.Stride, InputSize, InputSize);
        var input = Preprocess(rgb);
        float[] map;
        using (_gate.Enter())
        using (var runOptions = new RunOptions())
        using (cancellationToken.Register(() => runOptions.Terminate = true))
        using (var tensor = OrtValue.CreateTensorValueFromMemory(input, [1, 3, InputSize, InputSize]))
        {
            try
            {
                using var outputs = _session.Run(runOptions, [_input], [tensor], [_output]);
                var shape = outputs[0].GetTensorTypeAndShape().Shape;
                if (shape.Length != 4 || shape[2] != InputSize || shape[3] != InputSize)
                    throw new SegModelException(ModelName, $"output '{_output}' has shape [{string.Join(',', shape)}]; expected [1,1,320,320]");
                map = outputs[0].GetTensorDataAsSpan<float>()[..(InputSize * InputSize)].ToArray();
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (OnnxRuntimeException e)
            {
                throw new SegModelException(ModelName, $"run failed ({OnnxModelLoader.FirstLine(e.Message)})", e);
            }
        }
        MinMaxNormalize(map);
        return new LogitMap(image.Width, image.Height, LogitUpscaler.Logits(map, InputSize, InputSize, image.Width, image.Height));
    }

    /// <summary>
    /// The saliency map of the part of <paramref name="image"/> inside <paramref name="box"/> grown by
    /// <paramref name="margin"/> times the box's longer side (clipped to the image), at the source size: the model sees
    /// only that crop at its 320x320 input, so a boxed object gets a much finer map than from the whole photo. Zero
    /// outside the crop.
    /// </summary>
    public LogitMap SaliencyInBox(BgraImage image, BoxXyxy box, double margin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(margin >= 0 && margin <= 1)) throw new SegArgumentException("margin", $"must be 0..1 of the box's longer side, got {margin}");
        double m = margin * Math.Max(box.Width, box.Height);
        int x0 = Math.Clamp((int)Math.Floor(box.X0 - m), 0, image.Width - 1), y0 = Math.Clamp((int)Math.Floor(box.Y0 - m), 0, image.Height - 1);
        int x1 = Math.Clamp((int)Math.Ceiling(box.X1 + m), x0 + 1, image.Width), y1 = Math.Clamp((int)Math.Ceiling(box.Y1 + m), y0 + 1, image.Height);
        int cw = x1 - x0, ch = y1 - y0;
        var crop = new BgraImage(cw, ch);
        for (int y = 0; y < ch; y++)
            image.Pixels.AsSpan((y0 + y) * image.Stride + x0 * BgraImage.BytesPerPixel, cw * BgraImage.BytesPerPixel).CopyTo(crop.Row(y));
        // A box's refinement and its matte ask for the same crop's map one after the other: the last crop's map is kept.
        var key = (System.IO.Hashing.XxHash128.HashToUInt128(crop.Pixels), cw, ch);
        var last = _lastCrop;
        LogitMap inCrop;
        if (last is not null && last.Key == key) inCrop = last.Map;
        else
        {
            inCrop = Saliency(crop, cancellationToken);
            _lastCrop = new CropMap(key, inCrop);
            Interlocked.Increment(ref _cropRuns);
        }
        var full = new LogitMap(image.Width, image.Height);
        for (int y = 0; y < ch; y++)
            inCrop.Row(y).CopyTo(full.Data.AsSpan((y0 + y) * image.Width + x0, cw));
        return full;
    }

    /// <summary>The map of the last crop <see cref="SaliencyInBox"/> ran the model on, keyed by the crop's pixels and size; only read from.</summary>
    private sealed record CropMap((UInt128 Hash, int Width, int Height) Key, LogitMap Map);

    private volatile CropMap? _lastCrop;

    /// <summary>Runs of the model on a box's crop so far (a crop seen just before reuses its map).</summary>
    internal int CropRuns => Volatile.Read(ref _cropRuns);

    private int _cropRuns;

    /// <summary>The 1x3x320x320 input: RGB / max over the image, then ImageNet normalisation.</summary>
    internal static float[] Preprocess(ReadOnlySpan<byte> rgb)
    {
        int max = 0;
        foreach (byte b in rgb) if (b > max) max = b;
        float scale = max == 0 ? 0f : 1f / max; // an all-black image stays black rather than dividing by zero
        const int plane = InputSize * InputSize;
        var t = new float[3 * plane];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                t[c * plane + i] = (rgb[3 * i + c] * scale - Mean[c]) / Std[c];
        return t;
    }

    internal static void MinMaxNormalize(Span<float> map)
    {
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (float v in map) { if (v < lo) lo = v; if (v > hi) hi = v; }
        float range = hi - lo;
        if (!(range > 0)) { map.Clear(); return; } // a flat map holds no subject
        for (int i = 0; i < map.Length; i++) map[i] = (map[i] - lo) / range;
    }

    /// <summary>
    /// The subject as a hard mask. SAM modes need a session; they fall back to the saliency mask when the
    /// saliency map finds nothing.
    /// </summary>
    public Mask Select(BgraImage image, SubjectMode mode = SubjectMode.Saliency, SamSession? sam = null, CancellationToken cancellationToken = default)
    {
        var saliency = Saliency(image, cancellationToken).ToMask(0.5f);
        if (mode == SubjectMode.Saliency) return saliency;
        if (sam is null) throw new SegArgumentException("sam", $"subject mode {mode} needs a SAM session");
        var prompt = SamPrompt(saliency, mode);
        if (prompt is null) return saliency;
        var embedding = sam.Embed(image, null, cancellationToken);
        return sam.Predict(embedding, prompt, null, cancellationToken).Mask;
    }

    /// <summary>The SAM prompt derived from a saliency mask: its box, and for <see cref="SubjectMode.SamBoxAndPoint"/> the deepest interior point.</summary>
    public static PromptSet? SamPrompt(Mask saliency, SubjectMode mode)
    {
        int w = saliency.Width, h = saliency.Height;
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
        {
            var row = saliency.Row(y);
            int first = row.IndexOfAnyExcept((byte)0);
            if (first < 0) continue;
            int last = row.LastIndexOfAnyExcept((byte)0);
            if (first < x0) x0 = first;
            if (last > x1) x1 = last;
            if (y < y0) y0 = y;
            y1 = y;
        }
        if (x1 < 0) return null;
        // Pixel corners: the box encloses the last pixel.
        var box = new BoxXyxy(x0, y0, x1 + 1, y1 + 1);
        if (mode != SubjectMode.SamBoxAndPoint) return PromptSet.FromBox(box);
        var dist = new float[w * h];
        DistanceTransform.SquaredDistance(saliency.Data, w, h, targetIsSet: false, borderIsTarget: true, dist);
        int best = 0;
        for (int i = 1; i < dist.Length; i++) if (dist[i] > dist[best]) best = i;
        return new PromptSet { Box = box, Points = [PointPrompt.Include(best % w + 0.5f, best / w + 0.5f)] };
    }

    public void Dispose()
    {
        if (_gate.Close()) _session.Dispose();
    }
}
