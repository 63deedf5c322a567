using SegPlugins.Core;
using System.Globalization;
using SegPlugins.Evaluation.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Evaluation;

/// <summary>One loaded matting sample: the photo, the ground-truth alpha (0..1), the trimap if the dataset has one, and the box prompt.</summary>
public sealed record MattingSample(string Name, BgraImage Image, float[] Alpha, Trimap? Trimap, BoxXyxy Box);

/// <summary>
/// A matting dataset on disk: <c>images/NAME.png|jpg</c>, <c>alpha/NAME.png</c> (8-bit grey ground-truth alpha),
/// optional <c>trimaps/NAME.png</c> (0 / 128 / 255) and optional <c>boxes.csv</c> (columns <c>name,box_x0,box_y0,box_x1,box_y1</c>,
/// inclusive corners). Without boxes.csv the box is the tight box of alpha &gt;= 13 (5 %).
/// </summary>
public sealed class MattingDataset
{
    /// <summary>Alpha at or above this (of 255) counts as object for the tight box: 5 %, as the dataset's boxes.csv.</summary>
    public const byte TightBoxAlpha = 13;
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    private MattingDataset(string directory, IReadOnlyList<(string Name, string Image, string Alpha, string? Trimap, BoxXyxy? Box)> entries)
    {
        Directory = directory;
        _entries = entries;
    }

    private readonly IReadOnlyList<(string Name, string Image, string Alpha, string? Trimap, BoxXyxy? Box)> _entries;

    public string Directory { get; }
    public int Count => _entries.Count;
    public bool HasTrimaps => _entries.All(e => e.Trimap is not null);
    public string NameAt(int index) => _entries[index].Name;

    /// <summary>True when <paramref name="directory"/> looks like a matting dataset (has an alpha folder).</summary>
    public static bool IsMattingDataset(string directory) => System.IO.Directory.Exists(Path.Combine(directory, "alpha"));

    public static MattingDataset Open(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory)) throw new SegArgumentException("dataset", "no directory given");
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new SegInputException(full, "dataset directory not found");
        var images = Path.Combine(full, "images");
        var alpha = Path.Combine(full, "alpha");
        var trimaps = Path.Combine(full, "trimaps");
        if (!System.IO.Directory.Exists(images)) throw new SegInputException(images, "matting dataset has no images folder (expected images/NAME.png|jpg)");
        if (!System.IO.Directory.Exists(alpha)) throw new SegInputException(alpha, "matting dataset has no alpha folder (expected alpha/NAME.png, 8-bit grey)");
        var boxes = ReadBoxes(Path.Combine(full, SegmentationDataset.BoxesFile));
        var files = System.IO.Directory.GetFiles(images);
        Array.Sort(files, StringComparer.Ordinal);
        var list = new List<(string, string, string, string?, BoxXyxy?)>();
        foreach (var file in files)
        {
            if (!ImageExtensions.Contains(Path.GetExtension(file).ToLowerInvariant())) continue;
            var name = Path.GetFileNameWithoutExtension(file);
            var a = Path.Combine(alpha, name + ".png");
            if (!File.Exists(a)) throw new SegInputException(file, $"no ground-truth alpha for it: expected alpha/{name}.png");
            var t = Path.Combine(trimaps, name + ".png");
            list.Add((name, file, a, File.Exists(t) ? t : null, boxes.TryGetValue(name, out var b) ? b : null));
        }
        if (list.Count == 0) throw new SegInputException(images, "matting dataset has no images");
        return new MattingDataset(full, list);
    }

    public MattingSample Load(int index)
    {
        if ((uint)index >= (uint)_entries.Count) throw new SegArgumentException("index", $"must be 0..{_entries.Count - 1}, got {index}");
        var e = _entries[index];
        var image = EvalImageLoader.LoadBgra(e.Image);
        var (aw, ah, grey) = EvalImageLoader.LoadGrey(e.Alpha);
        if (aw != image.Width || ah != image.Height)
            throw new SegInputException(e.Alpha, $"alpha is {aw}x{ah} but image {Path.GetFileName(e.Image)} is {image.Width}x{image.Height}; they must be the same size");
        var alpha = new float[grey.Length];
        for (int i = 0; i < grey.Length; i++) alpha[i] = grey[i] / 255f;
        Trimap? trimap = null;
        if (e.Trimap is not null)
        {
            var (tw, th, t) = EvalImageLoader.LoadGrey(e.Trimap);
            if (tw != image.Width || th != image.Height)
                throw new SegInputException(e.Trimap, $"trimap is {tw}x{th} but image {Path.GetFileName(e.Image)} is {image.Width}x{image.Height}; they must be the same size");
            trimap = new Trimap(tw, th, t, e.Trimap);
        }
        var box = e.Box ?? TightBox(grey, aw, ah) ?? throw new SegInputException(e.Alpha, $"alpha has no pixel >= {TightBoxAlpha}; no object to prompt with a box");
        if (box.X1 >= image.Width || box.Y1 >= image.Height)
            throw new SegInputException(Path.Combine(Directory, SegmentationDataset.BoxesFile), $"box of {e.Name} reaches outside the {image.Width}x{image.Height} image");
        return new MattingSample(e.Name, image, alpha, trimap, box);
    }

    private static BoxXyxy? TightBox(byte[] grey, int w, int h)
    {
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (grey[y * w + x] >= TightBoxAlpha)
                {
                    if (x < x0) x0 = x;
                    if (x > x1) x1 = x;
                    if (y < y0) y0 = y;
                    y1 = y;
                }
        return x1 < 0 ? null : new BoxXyxy(x0, y0, x1, y1);
    }

    private static Dictionary<string, BoxXyxy> ReadBoxes(string csv)
    {
        var r = new Dictionary<string, BoxXyxy>(StringComparer.Ordinal);
        if (!File.Exists(csv)) return r;
        var lines = File.ReadAllLines(csv);
        if (lines.Length == 0) return r;
        var header = lines[0].Split(',').Select(s => s.Trim()).ToList();
        int Col(string name) => header.IndexOf(name) is var i && i >= 0 ? i
            : throw new SegInputException(csv, $"line 1: header has no '{name}' column; expected name,...,box_x0,box_y0,box_x1,box_y1");
        int cn = Col("name"), c0 = Col("box_x0"), c1 = Col("box_y0"), c2 = Col("box_x1"), c3 = Col("box_y1");
        for (int ln = 1; ln < lines.Length; ln++)
        {
            if (lines[ln].Trim().Length == 0) continue;
            var f = lines[ln].Split(',');
            if (f.Length != header.Count) throw new SegInputException($"{csv}:{ln + 1}", $"has {f.Length} fields, the header has {header.Count}");
            int V(int c) => int.TryParse(f[c].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
                : throw new SegInputException($"{csv}:{ln + 1}", $"{header[c]} '{f[c].Trim()}' is not a whole number");
            int x0 = V(c0), y0 = V(c1), x1 = V(c2), y1 = V(c3);
            if (x0 < 0 || y0 < 0 || x1 < x0 || y1 < y0)
                throw new SegInputException($"{csv}:{ln + 1}", $"box ({x0},{y0},{x1},{y1}) is not a valid rectangle");
            r[f[cn].Trim()] = new BoxXyxy(x0, y0, x1, y1);
        }
        return r;
    }
}
