using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Scripting.Commands;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Tests;

/// <summary>A temporary workspace (inputs, recipes, outputs, compile cache) deleted after the test.</summary>
internal sealed class Workspace : IDisposable
{
    public Workspace()
    {
        Root = Path.Combine(Path.GetTempPath(), "segplug-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Cache = new RecipeCache(Path.Combine(Root, ".cache"));
    }

    public string Root { get; }
    public RecipeCache Cache { get; }
    public string Out => Path.Combine(Root, "out");
    public FakeSegmenterFactory Segmenter { get; } = new();

    public string Write(string relative, string text)
    {
        string p = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
        return p;
    }

    /// <summary>An input in the test codec's format (see <see cref="TextImageCodec"/>).</summary>
    public string Image(string relative, int w = 8, int h = 6, byte shade = 100) =>
        Write(relative, string.Create(CultureInfo.InvariantCulture, $"TESTIMG {w} {h} {shade}\n"));

    public RunServices Services(IRecipeFileSystem? fs = null, IImageCodec? codec = null) => new()
    {
        FileSystem = fs ?? RecipeFileSystem.Instance,
        Codec = codec ?? new TextImageCodec(),
        OpenSegmenter = Segmenter.OpenAsync,
        Cache = Cache,
        CurrentDirectory = Root,
        InteractiveProgress = false,
    };

    public Task<Run> RunAsync(RunServices services, CancellationToken ct, params string[] args) =>
        RunAsync(services, new StringWriter(), ct, args);

    public async Task<Run> RunAsync(RunServices services, StringWriter o, CancellationToken ct, params string[] args)
    {
        var e = new StringWriter();
        var report = await RunCommand.ExecuteAsync(args, o, e, services, ct);
        return new Run(report, o.ToString(), e.ToString());
    }

    public Task<Run> RunAsync(params string[] args) => RunAsync(Services(), CancellationToken.None, args);

    public IEnumerable<string> OutputFiles() =>
        Directory.Exists(Out) ? Directory.EnumerateFiles(Out, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Out, f).Replace('\\', '/')).Order() : [];

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Cancels a token a moment after a given text is written (a recipe's Log line says it is running).</summary>
internal sealed class CancelOnText(string text, CancellationTokenSource cts, TimeSpan delay) : StringWriter
{
    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value is not null && value.Contains(text, StringComparison.Ordinal)) cts.CancelAfter(delay);
    }
}

internal sealed record Run(RunCommand.RunReport Report, string Stdout, string Stderr)
{
    public int ExitCode => Report.ExitCode;
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// A host-test codec with a text "image" format (<c>TESTIMG w h shade</c>), so host behaviour (parallelism,
/// failures, staging) is tested independently of the engine's codecs. Anything else is a corrupt input.
/// </summary>
internal sealed class TextImageCodec : IImageCodec
{
    public BgraImage Load(string path, ImageLoadOptions limits)
    {
        string text = File.ReadAllText(path);
        var parts = text.Trim().Split(' ');
        if (parts.Length != 4 || parts[0] != "TESTIMG")
            throw new SegInputException(path, "not a test image");
        if ((long)int.Parse(parts[1], CultureInfo.InvariantCulture) * int.Parse(parts[2], CultureInfo.InvariantCulture) > limits.MaxPixels)
            throw new SegInputException(path, $"over the limit ({limits.LimitName})");
        var img = new BgraImage(int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
        byte shade = byte.Parse(parts[3], CultureInfo.InvariantCulture);
        img.Pixels.AsSpan().Fill(shade);
        return img;
    }

    public void WritePng(BgraImage image, Stream destination) => Write(destination, "IMG", image.Width, image.Height, image.Pixels);

    public void WritePng(SoftMask mask, Stream destination) => Write(destination, "SOFT", mask.Width, mask.Height, mask.Data);

    public void WritePng(Mask mask, Stream destination) => Write(destination, "MASK", mask.Width, mask.Height, mask.Data);

    private static void Write(Stream destination, string tag, int width, int height, byte[] data)
    {
        using var w = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(tag);
        w.Write(width);
        w.Write(height);
        w.Write(data);
    }
}

/// <summary>
/// A segmenter with a fixed rule (box → the box's pixels; points → a 2-pixel square around each include click,
/// minus exclude clicks) that counts how often it is opened and how many views exist.
/// </summary>
internal sealed class FakeSegmenterFactory
{
    private int _opens;
    private int _views;
    private int _boxMattes;
    private int _boxMaps;
    public int Opens => _opens;
    public int Views => _views;
    /// <summary>Box mattes made through the engine (a recipe's <c>Matte</c> of a box alone).</summary>
    public int BoxMattes => _boxMattes;
    /// <summary>Box crop maps asked for (a recipe's <c>RefineColors</c> or <c>Matte</c> of a box alone).</summary>
    public int BoxMaps => _boxMaps;
    private int _saliencyMaps;
    /// <summary>Whole-image saliency maps asked for (a recipe's <c>SelectClicks</c> with an including first click).</summary>
    public int SaliencyMaps => _saliencyMaps;

    public Task<IRecipeSegmenter> OpenAsync(SegPlugins.Scripting.Engine.ModelArgs model, TextWriter log, CancellationToken ct)
    {
        Interlocked.Increment(ref _opens);
        return Task.FromResult<IRecipeSegmenter>(new Engine(this));
    }

    private sealed class Engine(FakeSegmenterFactory owner) : IRecipeSegmenter
    {
        public ISegmentationSession ForImage(BgraImage image, CancellationToken ct)
        {
            Interlocked.Increment(ref owner._views);
            return new View(image);
        }

        /// <summary>The middle of the image: everything at least 1/25 of a side away from the border.</summary>
        public Mask SubjectSaliency(BgraImage image, CancellationToken ct)
        {
            var m = new Mask(image.Width, image.Height);
            int mx = image.Width / 25, my = image.Height / 25;
            for (int y = my; y < image.Height - my; y++)
                for (int x = mx; x < image.Width - mx; x++) m.Data[y * m.Width + x] = Mask.On;
            return m;
        }

        /// <summary>1 in the middle <see cref="SubjectSaliency"/> selects, 0 elsewhere.</summary>
        private LogitMap MiddleMap(BgraImage image)
        {
            var middle = SubjectSaliency(image, CancellationToken.None);
            var map = new LogitMap(image.Width, image.Height);
            for (int i = 0; i < map.Data.Length; i++) map.Data[i] = middle.Data[i] != 0 ? 1f : 0f;
            return map;
        }

        /// <summary>1 in the same middle as <see cref="SubjectSaliency"/>, 0 elsewhere; counted in <see cref="FakeSegmenterFactory.SaliencyMaps"/>.</summary>
        public LogitMap SaliencyMap(BgraImage image, CancellationToken ct)
        {
            Interlocked.Increment(ref owner._saliencyMaps);
            return MiddleMap(image);
        }

        /// <summary>For a box Core refines with a map: 1 in the same middle as <see cref="SubjectSaliency"/>, 0 elsewhere.</summary>
        public LogitMap? BoxSaliency(BgraImage image, PromptSet prompts, SegPlugins.Core.Refinement.ColorRefineOptions? options, CancellationToken ct)
        {
            if (!SegPlugins.Core.Refinement.ColorRefiner.UsesBoxSaliency(prompts, options)) return null;
            Interlocked.Increment(ref owner._boxMaps);
            return MiddleMap(image);
        }

        /// <summary>
        /// Core's box matte (region rule, trimap guarded by the map, matte) on a saliency map that is 1 in the same
        /// middle and 0 elsewhere, in place of the subject model's map of the box's crop.
        /// </summary>
        public SegPlugins.Core.Refinement.Matting.Matte MatteFromBox(BgraImage image, LogitMap modelLogits, Mask selection, SegPlugins.Core.Geometry.BoxXyxy box,
            SegPlugins.Core.Refinement.Matting.SelectionTrimapOptions? trimap, SegPlugins.Core.Refinement.Matting.MatteOptions? options, CancellationToken ct)
        {
            Interlocked.Increment(ref owner._boxMattes);
            var map = MiddleMap(image);
            var region = SegPlugins.Core.Refinement.Matting.BoxRegionPrior.Apply(selection, map);
            var t = SegPlugins.Core.Refinement.Matting.SelectionTrimap.Build(image, modelLogits, region, trimap, map);
            return SegPlugins.Core.Refinement.Matting.SelectionMatting.FromTrimap(image, t, region, options, ct);
        }

        public void Dispose() { }
    }

    private sealed class View(BgraImage image) : ISegmentationSession
    {
        public string ModelName => "fake";
        public bool HasImage => true;
        public int ImageWidth => image.Width;
        public int ImageHeight => image.Height;
        public void SetImage(BgraImage img, CancellationToken cancellationToken = default) { }
        public void Reset() { }
        public void Dispose() { }

        public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
        {
            var m = new Mask(image.Width, image.Height);
            if (prompts.Box is { } b)
                for (int y = (int)b.Y0; y < (int)b.Y1; y++)
                    for (int x = (int)b.X0; x < (int)b.X1; x++) m.Data[y * m.Width + x] = Mask.On;
            foreach (var p in prompts.Points)
                for (int y = (int)p.Y - 1; y <= (int)p.Y + 1; y++)
                    for (int x = (int)p.X - 1; x <= (int)p.X + 1; x++)
                        if (x >= 0 && y >= 0 && x < m.Width && y < m.Height) m.Data[y * m.Width + x] = p.Positive ? Mask.On : Mask.Off;
            var low = new LogitMap(256, 256);
            var proposal = new MaskProposal(0, prompts.MaskInput is null ? 0.5f : 0.9f, low);
            return new MaskPrediction(m, proposal, [proposal], _ => new LogitMap(image.Width, image.Height));
        }
    }
}
