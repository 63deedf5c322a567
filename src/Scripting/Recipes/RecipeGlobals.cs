using System.Globalization;
using System.Runtime.CompilerServices;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Everything a recipe (<c>.csx</c>) sees besides the .NET base library and the SegPlugins engine types: the current
/// input image, the run's arguments and output directory, segmentation of the current image, saving, logging,
/// progress and cancellation. A recipe runs once per input image; each run gets its own instance.
/// </summary>
/// <remarks>
/// Mask editing and compositing are the engine's own methods, called directly on its types (for example
/// <c>mask.Grow(4)</c>); the namespaces <c>SegPlugins.Core.*</c> are imported into every recipe.
/// Files a recipe saves are written to temporary files and moved into place only when the recipe finishes
/// without error, so a failed or cancelled recipe leaves nothing behind.
/// </remarks>
public sealed class RecipeGlobals
{
    /// <summary>Default limit of <see cref="ReadSidecarText"/>: sidecar files are small prompt lists.</summary>
    public const int DefaultSidecarMaxBytes = 1024 * 1024;

    private readonly RecipeHost _host;
    private readonly RecipeInput _input;
    private readonly StagedOutputs _outputs;
    private readonly ConditionalWeakTable<MaskPrediction, PromptSet> _prompts = new();
    private readonly object _gate = new();
    private BgraImage? _image;
    private ISegmentationSession? _session;

    internal RecipeGlobals(RecipeHost host, RecipeInput input, StagedOutputs outputs, CancellationToken cancellationToken)
    {
        _host = host;
        _input = input;
        _outputs = outputs;
        CancellationToken = cancellationToken;
    }

    /// <summary>Full path of the current input image.</summary>
    public string InputPath => _input.FullPath;

    /// <summary>The input file name without its extension (what <c>{name}</c> expands to in <see cref="Save(BgraImage, string)"/>).</summary>
    public string InputName => _input.Stem;

    /// <summary>The input file name with its extension, e.g. <c>photo.jpg</c>.</summary>
    public string InputFileName => Path.GetFileName(_input.FullPath);

    /// <summary>1-based position of this input in the run's sorted input list (what <c>{index}</c> expands to).</summary>
    public int Index => _input.Index;

    /// <summary>
    /// The current input image (BGRA, 8 bits per channel, straight alpha), read on first use. Reading an
    /// unreadable or corrupt file throws a <see cref="SegInputException"/> naming it, which fails this input only.
    /// </summary>
    public BgraImage Input
    {
        get
        {
            // Locked: a recipe may touch Input from several threads (Parallel.For); the file is read once.
            lock (_gate) return _image ??= _host.Codec.Load(_input.FullPath, _host.InputLimits);
        }
    }

    /// <summary>
    /// The <c>--arg key=value</c> pairs of the run (keys compare case-insensitively). Use the typed getters
    /// (<see cref="Arg"/>, <see cref="ArgInt"/>, <see cref="ArgDouble"/>, <see cref="ArgBool"/>) for clear errors.
    /// </summary>
    public IReadOnlyDictionary<string, string> Args => _host.Args;

    /// <summary>The directory outputs are written to (created if missing). Files go in through <see cref="Save(BgraImage, string)"/>.</summary>
    public string OutputDir => _host.OutputDir;

    /// <summary>Cancelled when the run is stopped (Ctrl+C, --fail-fast). Loops in recipes are checked automatically too.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Reads another image (PNG, JPEG or BMP), e.g. a background named by <c>--arg</c>; a relative path is taken from
    /// the directory the run was started in. Loaded once per run and shared by every input: do not modify it.
    /// </summary>
    /// <exception cref="SegInputException">The file is missing, unreadable or not a supported image.</exception>
    public BgraImage LoadImage(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new SegArgumentException(nameof(path), "is empty; expected an image file path");
        string full = Path.GetFullPath(path, _host.BaseDirectory);
        var lazy = _host.SharedImages.GetOrAdd(full, f => new Lazy<BgraImage>(() => _host.Codec.Load(f, _host.InputLimits), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load is not cached: the next input retries and reports the error itself.
            _host.SharedImages.TryRemove(new KeyValuePair<string, Lazy<BgraImage>>(full, lazy));
            throw;
        }
    }

    // ---- arguments ---------------------------------------------------------------------------------------------

    /// <summary>The string value of <c>--arg <paramref name="key"/>=...</c>, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="SegArgumentException">The argument is absent and there is no fallback.</exception>
    public string Arg(string key, string? fallback = null) =>
        _host.Args.TryGetValue(key, out var v) ? v
        : fallback ?? throw new SegArgumentException($"--arg {key}", $"is required by this recipe; pass --arg {key}=VALUE");

    /// <summary>An integer argument (invariant culture), or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="SegArgumentException">The value is not an integer, or it is absent and there is no fallback.</exception>
    public int ArgInt(string key, int? fallback = null) =>
        Typed(key, fallback, "an integer", s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null);

    /// <summary>A number argument (invariant culture, '.' decimal point), or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="SegArgumentException">The value is not a finite number, or it is absent and there is no fallback.</exception>
    public double ArgDouble(string key, double? fallback = null) =>
        Typed(key, fallback, "a number such as 2.5", s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null);

    /// <summary>A yes/no argument (<c>true/false</c>, <c>yes/no</c>, <c>1/0</c>), or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="SegArgumentException">The value is not a yes/no word, or it is absent and there is no fallback.</exception>
    public bool ArgBool(string key, bool? fallback = null) =>
        Typed<bool>(key, fallback, "true or false", s => s.ToLowerInvariant() switch
        {
            "true" or "yes" or "1" or "on" => true,
            "false" or "no" or "0" or "off" => false,
            _ => null,
        });

    private T Typed<T>(string key, T? fallback, string expected, Func<string, T?> parse) where T : struct
    {
        if (!_host.Args.TryGetValue(key, out var s))
            return fallback ?? throw new SegArgumentException($"--arg {key}", $"is required by this recipe; pass --arg {key}=<{expected}>");
        return parse(s.Trim()) ?? throw new SegArgumentException($"--arg {key}", $"expected {expected}, got \"{s}\"");
    }

    // ---- segmentation ------------------------------------------------------------------------------------------

    /// <summary>
    /// Segments the input from clicks: <c>(x, y, true)</c> includes, <c>(x, y, false)</c> excludes. Pixel coordinates.
    /// The clicks are read in the order given, each refining the answer to the ones before (as in the effect and
    /// <c>segplug select</c>); <c>Select(PromptSet.FromPoints(...))</c> sends them in one prediction instead.
    /// </summary>
    public MaskPrediction SelectPoints(params (float x, float y, bool positive)[] points) =>
        SelectPoints(ToPrompts(points));

    /// <summary>Segments the input from clicks, read in order.</summary>
    public MaskPrediction SelectPoints(params PointPrompt[] points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Length == 0) throw new SegArgumentException("points", "SelectPoints needs at least one click");
        var prompts = PromptSet.FromPoints(points);
        var session = SessionFor(prompts);
        var engine = Engine();
        var prediction = new ClickChain(session, focus: new FocusEncoder(Input, engine.ForImage)).Predict(points, null, CancellationToken).Prediction;
        _prompts.AddOrUpdate(prediction, prompts);
        return prediction;
    }

    /// <summary>
    /// The selection the Paint.NET effect, <c>segplug select</c> and <c>segplug serve</c> make from these clicks, read
    /// in order: a first including click read as "this object" with the subject model (opened on first use), every
    /// answer refined with the input's colours and fed back (the measured default, docs/evaluation.md).
    /// <see cref="SelectPoints(PointPrompt[])"/> gives the model's own answer instead, as a prediction to refine further.
    /// </summary>
    public Mask SelectClicks(params (float x, float y, bool positive)[] points) => SelectClicks(ToPrompts(points));

    /// <summary>
    /// The hosts' selection from clicks read in order and an optional box (a box alone is refined with colours and its
    /// crop's salient-object map; a box with clicks is answered without the map, as in the hosts). With
    /// <paramref name="subjectGuide"/> false the first click is the model's own reading (<c>select --subject-guide off</c>).
    /// </summary>
    public Mask SelectClicks(IReadOnlyList<PointPrompt> points, BoxXyxy? box = null, bool subjectGuide = true)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0 && box is null) throw new SegArgumentException("points", "SelectClicks needs a box or at least one click");
        var prompts = new PromptSet { Points = points, Box = box };
        var session = SessionFor(prompts);
        var engine = Engine();
        var image = Input;
        var saliency = subjectGuide && ClickDefaults.GuidesFirstClick(points, box) ? engine.SaliencyMap(image, CancellationToken) : null;
        var chain = ClickDefaults.NewChain(session, image, saliency, (p, ct) => engine.BoxSaliency(image, p, null, ct), engine.ForImage);
        return chain.Predict(points, box, CancellationToken).Mask;
    }

    /// <summary>Segments the object inside the box (x0,y0) top-left to (x1,y1) bottom-right, in pixels.</summary>
    public MaskPrediction SelectBox(float x0, float y0, float x1, float y1) =>
        Select(PromptSet.FromBox(new BoxXyxy(x0, y0, x1, y1)));

    /// <summary>
    /// Segments the main subject without prompts: the engine's salient-object model finds it, and the segmentation
    /// model is prompted with the box around it plus (when <paramref name="withPoint"/>) a click on its most interior
    /// point. Both models are opened once per run, on first use.
    /// </summary>
    /// <exception cref="SegInputException">The saliency model found no subject in this image.</exception>
    public MaskPrediction SelectSubject(bool withPoint = true)
    {
        RecipeRuntime.__seg_checkpoint();
        var img = Input;
        var saliency = Engine().SubjectSaliency(img, CancellationToken);
        var prompt = SubjectSelector.SamPrompt(saliency, withPoint ? SubjectMode.SamBoxAndPoint : SubjectMode.SamBox)
            ?? throw new SegInputException(_input.FullPath, "no salient subject found; select it with SelectBox or SelectPoints instead");
        return Select(prompt);
    }

    /// <summary>
    /// The main subject as the salient-object model alone sees it (its map thresholded at one half, at the input's
    /// size), without running the segmentation model: several times faster than <see cref="SelectSubject"/>, with
    /// softer, less exact edges. Empty when the model sees no subject.
    /// </summary>
    public Mask SubjectSaliency()
    {
        RecipeRuntime.__seg_checkpoint();
        return Engine().SubjectSaliency(Input, CancellationToken);
    }

    /// <summary>Refines an earlier prediction of this recipe run with more clicks (its prompts and low-res mask are fed back).</summary>
    public MaskPrediction Refine(MaskPrediction prediction, params (float x, float y, bool positive)[] points) =>
        Refine(prediction, ToPrompts(points));

    /// <summary>Refines an earlier prediction of this recipe run with more clicks.</summary>
    public MaskPrediction Refine(MaskPrediction prediction, params PointPrompt[] points)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        var earlier = _prompts.TryGetValue(prediction, out var p) ? p : new PromptSet();
        return Select(earlier with
        {
            Points = [.. earlier.Points, .. points],
            MaskInput = prediction.LowResLogits,
        });
    }

    /// <summary>Refines an earlier prediction by feeding its low-res mask back with the same prompts.</summary>
    public MaskPrediction Refine(MaskPrediction prediction) => Refine(prediction, Array.Empty<PointPrompt>());

    /// <summary>
    /// The selection of an earlier prediction of this run refined with the input's colours (the engine's
    /// <see cref="ColorRefiner"/>): its clicks and box hold, look-alike regions elsewhere stay out. What the effect
    /// and <c>segplug select</c> do by default; on GrabCut it lifts tight-box mIoU from 0.899 to 0.941.
    /// </summary>
    public Mask RefineColors(MaskPrediction prediction, ColorRefineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        RecipeRuntime.__seg_checkpoint();
        var prompts = _prompts.TryGetValue(prediction, out var p) ? p : new PromptSet();
        var prior = ColorRefiner.PriorFor(prediction, prompts, options);
        var boxMap = Engine().BoxSaliency(Input, prompts, options, CancellationToken);
        return ColorRefiner.Refine(Input, prediction.UpscaleLogits(prior), new ColorRefineInput { Clicks = prompts.Points, Box = prompts.Box, Saliency = boxMap }, options, CancellationToken);
    }

    /// <summary>
    /// Soft edges that hold hair and fur: the prediction's selection refined with colours (as <see cref="RefineColors"/>),
    /// for a box alone limited to the box's salient object (the subject model, fetched on first use), a trimap around its edge, and an alpha matte with foreground colours (closed-form matting; see docs/matting.md).
    /// <c>CutOut(matte)</c> and <c>ReplaceBackground(matte, ...)</c> use both, so no old background shows in the hair.
    /// </summary>
    public Matte Matte(MaskPrediction prediction, SelectionTrimapOptions? trimap = null, MatteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        RecipeRuntime.__seg_checkpoint();
        var prompts = _prompts.TryGetValue(prediction, out var p) ? p : new PromptSet();
        var logits = prediction.UpscaleLogits(ColorRefiner.PriorFor(prediction, prompts));
        var boxMap = Engine().BoxSaliency(Input, prompts, null, CancellationToken);
        var selection = ColorRefiner.Refine(Input, logits, new ColorRefineInput { Clicks = prompts.Points, Box = prompts.Box, Saliency = boxMap }, null, CancellationToken);
        // A box alone: matted within the box's salient object, as select --box --matte does (docs/matting.md).
        if (prompts.Box is { } box && prompts.Points.Count == 0 && prompts.MaskInput is null)
            return Engine().MatteFromBox(Input, logits, selection, box, trimap, options, CancellationToken);
        return SelectionMatting.FromSelection(Input, logits, selection, trimap, options, CancellationToken);
    }

    /// <summary>
    /// Soft edges for a finished selection (objects combined, grown, loaded from a file): a trimap around its edge and
    /// the alpha matte with foreground colours, as <c>segplug cutout --matte</c> makes them. For one prediction as it
    /// came, <see cref="Matte(MaskPrediction, SelectionTrimapOptions?, MatteOptions?)"/> also uses the model's doubt.
    /// </summary>
    public Matte Matte(Mask selection, SelectionTrimapOptions? trimap = null, MatteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(selection);
        RecipeRuntime.__seg_checkpoint();
        if (selection.Width != Input.Width || selection.Height != Input.Height)
            throw new SegArgumentException("selection", $"is {selection.Width}x{selection.Height} but the input is {Input.Width}x{Input.Height}");
        return SelectionMatting.FromMask(Input, selection, trimap, options, CancellationToken);
    }

    /// <summary>Segments the input with any prompt set the engine accepts (points, a box, a mask input).</summary>
    public MaskPrediction Select(PromptSet prompts, PredictOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var prediction = SessionFor(prompts).Predict(prompts, options, CancellationToken);
        _prompts.AddOrUpdate(prediction, prompts);
        return prediction;
    }

    // Checks the prompts against the input and returns the input's session (opened on first use).
    private ISegmentationSession SessionFor(PromptSet prompts)
    {
        RecipeRuntime.__seg_checkpoint();
        var img = Input;
        prompts.Validate(img.Width, img.Height);
        lock (_gate) return _session ??= OpenSession(img);
    }

    private IRecipeSegmenter Engine() =>
        (_host.Segmenter ?? throw new SegException("this run has no segmentation engine")).Get(CancellationToken);

    private ISegmentationSession OpenSession(BgraImage img) => Engine().ForImage(img, CancellationToken);

    private static PointPrompt[] ToPrompts((float x, float y, bool positive)[] points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var r = new PointPrompt[points.Length];
        for (int i = 0; i < points.Length; i++) r[i] = new PointPrompt(points[i].x, points[i].y, points[i].positive);
        return r;
    }

    // ---- compositing (the engine's Compositor, applied to Input) ------------------------------------------------

    /// <summary>The input with everything outside <paramref name="mask"/> made transparent (the engine's <see cref="Compositor.CutOut(BgraImage, Mask, CutOutOptions?, BgraImage?)"/>).</summary>
    public BgraImage CutOut(Mask mask, CutOutOptions? options = null) => Compositor.CutOut(Input, mask, options);

    /// <summary>The input with a soft-edged alpha from <paramref name="alpha"/> (e.g. <c>mask.Feather(3f)</c>).</summary>
    public BgraImage CutOut(SoftMask alpha, CutOutOptions? options = null) => Compositor.CutOut(Input, alpha, options);

    /// <summary>The input's subject (<paramref name="mask"/>) over a new background: <c>Background.Color(...)</c>, <c>Background.Image(LoadImage(...))</c> or <c>Background.Blur(sigma)</c>.</summary>
    public BgraImage ReplaceBackground(Mask mask, Background background, CutOutOptions? options = null) =>
        Compositor.ReplaceBackground(Input, mask, background, options);

    /// <summary>As <see cref="ReplaceBackground(Mask, Background, CutOutOptions?)"/> with a soft-edged subject.</summary>
    public BgraImage ReplaceBackground(SoftMask alpha, Background background, CutOutOptions? options = null) =>
        Compositor.ReplaceBackground(Input, alpha, background, options);

    /// <summary>The matte's cut-out: its foreground colours with its alpha (from <see cref="Matte(MaskPrediction, SelectionTrimapOptions?, MatteOptions?)"/>).</summary>
    public BgraImage CutOut(Matte matte) => MatteCompositing.CutOut(matte);

    /// <summary>The matte's foreground over a new background; <c>Background.Blur(sigma)</c> blurs the input behind it.</summary>
    public BgraImage ReplaceBackground(Matte matte, Background background) => MatteCompositing.ReplaceBackground(matte, background, Input);

    // ---- output ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Saves <paramref name="image"/> as PNG under <see cref="OutputDir"/> (in the input's sub-folder when the input
    /// came from a folder or glob). <paramref name="nameTemplate"/> is a file name with placeholders <c>{name}</c> /
    /// <c>{stem}</c> (input name without extension), <c>{ext}</c> and <c>{index}</c>, e.g. <c>"{name}-cutout.png"</c>.
    /// Never overwrites an input. Returns the final path.
    /// </summary>
    public string Save(BgraImage image, string nameTemplate)
    {
        ArgumentNullException.ThrowIfNull(image);
        return _outputs.Stage(nameTemplate, s => _host.Codec.WritePng(image, s));
    }

    /// <summary>Saves a mask as a greyscale PNG (0 outside, 255 inside); naming as for <see cref="Save(BgraImage, string)"/>.</summary>
    public string Save(Mask mask, string nameTemplate)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return _outputs.Stage(nameTemplate, s => _host.Codec.WritePng(mask, s));
    }

    /// <summary>Saves a soft mask (e.g. from <c>mask.Feather(3)</c>) as a greyscale PNG, 0 to 255; naming as for <see cref="Save(BgraImage, string)"/>.</summary>
    public string Save(SoftMask mask, string nameTemplate)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return _outputs.Stage(nameTemplate, s => _host.Codec.WritePng(mask, s));
    }

    /// <summary>Saves text (UTF-8, e.g. JSON); naming as for <see cref="Save(BgraImage, string)"/>.</summary>
    public string SaveText(string text, string nameTemplate)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _outputs.Stage(nameTemplate, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), 16 * 1024, leaveOpen: true);
            w.Write(text);
        });
    }

    /// <summary>
    /// Reads the file next to the input named <c>&lt;input name&gt;<paramref name="suffix"/></c> (e.g. suffix
    /// <c>".points.json"</c> reads <c>photo.points.json</c> for <c>photo.jpg</c>), or null when there is none.
    /// </summary>
    /// <exception cref="SegInputException">The file is larger than <paramref name="maxBytes"/>, or not valid UTF-8.</exception>
    public string? ReadSidecarText(string suffix, int maxBytes = DefaultSidecarMaxBytes)
    {
        if (string.IsNullOrEmpty(suffix) || suffix.IndexOfAny(['/', '\\']) >= 0)
            throw new SegArgumentException(nameof(suffix), $"\"{suffix}\" must be a file name ending such as \".points.json\"");
        if (maxBytes <= 0) throw new SegArgumentException(nameof(maxBytes), $"must be positive, got {maxBytes}");
        string path = Path.Combine(Path.GetDirectoryName(_input.FullPath)!, _input.Stem + suffix);
        if (!_host.FileSystem.FileExists(path)) return null;
        byte[] bytes = _host.FileSystem.ReadBounded(path, maxBytes);
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new SegInputException(path, "is not UTF-8 text");
        }
    }

    // ---- reporting ---------------------------------------------------------------------------------------------

    /// <summary>Writes a line to the run's output, prefixed with the input's name.</summary>
    public void Log(string message) => _host.Log(_input, message ?? "");

    /// <summary>Reports how far this input is, from 0 to 1 (values outside are clamped); feeds the progress bar.</summary>
    public void Progress(double fraction) =>
        _host.Progress(_input, double.IsNaN(fraction) ? 0 : Math.Clamp(fraction, 0, 1));

    internal void ReleaseSession()
    {
        lock (_gate)
        {
            _session?.Dispose();
            _session = null;
        }
    }
}
