using BenchmarkDotNet.Attributes;
using SegPlugins.Core.Segmentation.FastSam;

namespace SegPlugins.Benchmarks;

/// <summary>
/// FastSAM post-processing alone on synthetic outputs of the real model's size (1024 input: 21504 anchors,
/// 32x256x256 prototypes) for a 1 MP source: 60 objects above the confidence threshold with duplicates.
/// Run: dotnet run -c Release -- --job short --filter '*FastSamDecode*'
/// </summary>
[MemoryDiagnoser]
public class FastSamDecodeBenchmarks
{
    private const int Anchors = 21504, MaskDim = 32, Rows = 4 + 1 + MaskDim, ProtoSide = 256;
    private float[] _head = [];
    private float[] _protos = [];
    private Letterbox _letterbox;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _head = new float[Rows * Anchors];
        for (int a = 0; a < Anchors; a++)
        {
            float cx = rng.NextSingle() * 1024, cy = 128 + rng.NextSingle() * 768, w = 20 + rng.NextSingle() * 300, h = 20 + rng.NextSingle() * 300;
            _head[a] = cx; _head[Anchors + a] = cy; _head[2 * Anchors + a] = w; _head[3 * Anchors + a] = h;
            _head[4 * Anchors + a] = a % 300 == 0 ? 0.5f + rng.NextSingle() * 0.5f : rng.NextSingle() * 0.3f;
            for (int k = 0; k < MaskDim; k++) _head[(5 + k) * Anchors + a] = rng.NextSingle() * 2 - 1;
        }
        _protos = new float[MaskDim * ProtoSide * ProtoSide];
        for (int i = 0; i < _protos.Length; i++) _protos[i] = rng.NextSingle() * 4 - 2;
        _letterbox = Letterbox.For(1155, 866, 1024);
    }

    [Benchmark]
    public int FastSamDecode1Mp() =>
        FastSamSession.Decode(_head, Anchors, 1, MaskDim, _protos, ProtoSide, ProtoSide, _letterbox, FastSamOptions.Default, CancellationToken.None).Detections.Count;
}
