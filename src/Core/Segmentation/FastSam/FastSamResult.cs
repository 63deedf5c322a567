using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Segmentation.FastSam;

/// <summary>One object found by FastSAM: its box and mask at the source size, and the detector's confidence.</summary>
public sealed class FastSamDetection
{
    internal FastSamDetection(int anchor, float confidence, BoxXyxy inputBox, BoxXyxy box, Mask mask, float[] protoMask)
    {
        Anchor = anchor;
        Confidence = confidence;
        InputBox = inputBox;
        Box = box;
        Mask = mask;
        ProtoMask = protoMask;
        Area = mask.Area();
    }

    /// <summary>Index of the detector anchor the detection came from.</summary>
    public int Anchor { get; }
    public float Confidence { get; }
    /// <summary>Box in the letterboxed input frame.</summary>
    public BoxXyxy InputBox { get; }
    /// <summary>Box in source pixels, clipped to the image.</summary>
    public BoxXyxy Box { get; }
    public Mask Mask { get; }
    public long Area { get; }
    /// <summary>Mask probabilities at prototype resolution, zero outside the box.</summary>
    internal float[] ProtoMask { get; }
}

/// <summary>Every object FastSAM found in one image, most confident first.</summary>
public sealed class FastSamResult
{
    internal FastSamResult(Letterbox letterbox, int protoWidth, int protoHeight, IReadOnlyList<FastSamDetection> detections)
    {
        Letterbox = letterbox;
        ProtoWidth = protoWidth;
        ProtoHeight = protoHeight;
        Detections = detections;
    }

    public Letterbox Letterbox { get; }
    public int ProtoWidth { get; }
    public int ProtoHeight { get; }
    public IReadOnlyList<FastSamDetection> Detections { get; }
    public int Width => Letterbox.SourceWidth;
    public int Height => Letterbox.SourceHeight;
}
