using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Scripting.Serve;

/// <summary>
/// The server's salient-object model, opened once on first need (an image's first-click prior, "select subject", a box
/// matte) and shared by every image and request.
/// </summary>
internal sealed class SubjectModel(Func<CancellationToken, Task<SubjectSelector>> open) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SubjectSelector? _model;

    public async Task<SubjectSelector> GetAsync(CancellationToken ct)
    {
        if (_model is { } m) return m;
        await _gate.WaitAsync(ct);
        try { return _model ??= await open(ct); }
        finally { _gate.Release(); }
    }

    public void Dispose() => _model?.Dispose();
}
