using System.Diagnostics;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using System.Text.Json;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Scripting.Serve;

/// <summary>
/// One image held by the server: its pixels, its embedding (computed once, in the background, from the moment it
/// arrives) and its selection editor. Every request that reads or changes the selection holds <see cref="Gate"/>,
/// so requests on one image run one at a time while other images go on in parallel.
/// </summary>
internal sealed class ServedImage : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private SelectionEditor? _editor;

    /// <summary>Holds <paramref name="image"/> and starts its embedding (and its salient-object map) in the background.</summary>
    /// <param name="id">The image's id in the API.</param>
    /// <param name="name">A display name.</param>
    /// <param name="image">The pixels.</param>
    /// <param name="sam">The session the image is encoded and answered with.</param>
    /// <param name="undoLimit">Edits that can be undone.</param>
    /// <param name="subject">The salient-object model: a box alone is refined with its crop's map, and with
    /// <paramref name="subjectGuide"/> the first click is read with the image's map (the measured default); null for neither.</param>
    /// <param name="subjectGuide">Read the first click with the image's salient-object map.</param>
    /// <param name="log">Hears when the model cannot be opened or run (the clicks are then read by SAM alone).</param>
    public ServedImage(string id, string name, BgraImage image, SamSession sam, int undoLimit, SubjectModel? subject = null, bool subjectGuide = true, TextWriter? log = null)
    {
        Id = id;
        Name = name;
        Image = image;
        var token = _cts.Token;
        Ready = Task.Run(async () =>
        {
            var view = new TimedSession(sam.ForImage(image, token));
            EncodeMs = _since.Elapsed.TotalMilliseconds;
            var model = subject is null ? null : await ModelAsync(subject, log, token);
            var saliency = model is not null && subjectGuide ? SaliencyOf(model, image, log, token) : null;
            Decoder = view;
            FirstClickGuided = saliency is not null;
            _editor = new SelectionEditor(view) { Clicks = ClickDefaults.NewChain(view, image, saliency, encodeCrop: sam.ForImage, subject: model), UndoLimit = undoLimit };
            if (Interlocked.Exchange(ref s_warmedUp, 1) == 0) WarmUp(view, image, saliency, token);
        }, token);
    }

    /// <summary>The salient-object model; null, with a line in the log, when it cannot be opened.</summary>
    private static async Task<SubjectSelector?> ModelAsync(SubjectModel subject, TextWriter? log, CancellationToken ct)
    {
        try { return await subject.GetAsync(ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log?.WriteLine($"serve: the salient-object model could not be opened ({e.Message}); clicks and boxes are read by SAM alone");
            return null;
        }
    }

    /// <summary>The image's salient-object map; null, with a line in the log, when the model fails on it.</summary>
    private static LogitMap? SaliencyOf(SubjectSelector model, BgraImage image, TextWriter? log, CancellationToken ct)
    {
        try { return model.Saliency(image, ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log?.WriteLine($"serve: no salient-object map ({e.Message}); this image's clicks are read by SAM alone");
            return null;
        }
    }

    private static int s_warmedUp;

    /// <summary>
    /// Throwaway clicks on the first image a server holds, before it is ready, so that the user's first clicks do not
    /// pay for compiling the click path: on a new server the first click at 1 MP took 1447 ms of server time against
    /// a median of 334 ms. Two clicks in a row (the second continues the first, as a correction does) and the
    /// overlay's PNG, with a pause between them, since the runtime starts counting calls for its optimised
    /// recompilation only after a quiet moment (about 100 ms) and recompiles in the background.
    /// </summary>
    private static void WarmUp(ISegmentationSession view, BgraImage image, LogitMap? saliency, CancellationToken ct)
    {
        try
        {
            float w = image.Width, h = image.Height;
            var chain = ClickDefaults.NewChain(view, image, saliency);
            var first = chain.Predict([new PointPrompt(w / 2, h / 2)], null, ct);
            ImageIO.EncodeGrayPng(first.Mask.Data, first.Mask.Width, first.Mask.Height, Stream.Null, PngCompression.Fast);
            Thread.Sleep(150);
            var second = chain.Predict([new PointPrompt(w / 2, h / 2), new PointPrompt(w / 4, h / 4, false)], null, ct);
            ImageIO.EncodeGrayPng(second.Mask.Data, second.Mask.Width, second.Mask.Height, Stream.Null, PngCompression.Fast);
        }
        // A warm-up that fails costs only its speed-up, never the image; the user's own click reports any problem.
        catch (Exception e) when (e is not OperationCanceledException) { }
    }

    public string Id { get; }

    /// <summary>A display name (a file name without folders), used for download names only.</summary>
    public string Name { get; }

    public BgraImage Image { get; }

    /// <summary>Completes when the embedding is ready (faults if the encoder failed).</summary>
    public Task Ready { get; }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Milliseconds the embedding took, or null while it runs.</summary>
    public double? EncodeMs { get; private set; }

    /// <summary>Milliseconds since the image arrived.</summary>
    public double AgeMs => _since.Elapsed.TotalMilliseconds;

    /// <summary>The order of arrival.</summary>
    public long Sequence { get; init; }

    /// <summary>Set by the store on each use; the smallest is evicted first.</summary>
    public long LastUsed { get; set; }

    /// <summary>The session the editor predicts with, which adds up the decoder's time; set with the editor.</summary>
    public TimedSession? Decoder { get; private set; }

    /// <summary>The last matte made (for its selection and grow), so that a preview and the exports that follow share one solve.</summary>
    public (Mask Selection, int Grow, Matte Matte)? LastMatte { get; set; }

    /// <summary>The last prediction's proposals as COCO RLE JSON (made on first ask, once per prediction).</summary>
    public (MaskPrediction Prediction, JsonElement[] Rles)? ProposalRles { get; set; }

    /// <summary>The editor; only valid after <see cref="Ready"/> and while holding <see cref="Gate"/>.</summary>
    /// <summary>True when this image's first clicks are read with its salient-object map (known once <see cref="Ready"/>).</summary>
    public bool FirstClickGuided { get; private set; }

    public SelectionEditor Editor => _editor ?? throw new InvalidOperationException("the image's embedding is not ready");

    /// <summary>Waits for the embedding and then for this image's turn.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken ct)
    {
        try { await Ready.WaitAsync(ct); }
        catch (OperationCanceledException) when (Ready.IsCanceled)
        {
            throw new ApiException(404, $"image '{Id}': it was deleted or dropped to make room while its embedding was computed");
        }
        await Gate.WaitAsync(ct);
        return new Releaser(Gate);
    }

    /// <summary>Stops an embedding still being computed; the editor and embedding go with the last reference.</summary>
    public void Dispose()
    {
        _cts.Cancel();
        _editor = null;
        LastMatte = null;
        ProposalRles = null;
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release();
        }
    }
}
