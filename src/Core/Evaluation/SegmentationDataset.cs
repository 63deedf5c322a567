using System.Globalization;
using SegPlugins.Core.Evaluation.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Evaluation;

/// <summary>One entry of a dataset, before its files are read.</summary>
/// <param name="Name">Sample name (file stem).</param>
/// <param name="ImagePath">The photograph.</param>
/// <param name="GroundTruthPath">The 8-bit ground truth.</param>
/// <param name="Box">The benchmark's prompt box (inclusive pixel corners), or null to use the tight box.</param>
/// <param name="ExpectedWidth">Size stated in boxes.csv, checked when the files are read.</param>
/// <param name="ExpectedHeight">Size stated in boxes.csv.</param>
public sealed record DatasetEntry(string Name, string ImagePath, string GroundTruthPath, BoxXyxy? Box, int? ExpectedWidth = null, int? ExpectedHeight = null);

/// <summary>A loaded sample: pixels, ground truth and both prompt boxes.</summary>
public sealed record DatasetSample(string Name, BgraImage Image, GroundTruth GroundTruth, BoxXyxy DatasetBox, BoxXyxy TightBox);

/// <summary>
/// An evaluation dataset on disk:
/// <c>images/NAME.jpg|png|bmp</c>, <c>gt/NAME.bmp|png</c> (255 object, 0 background, 128 ignore band) and an
/// optional <c>boxes.csv</c> (header <c>name,image,width,height,box_x0,box_y0,box_x1,box_y1,...</c>, inclusive corners).
/// Without boxes.csv every image with a ground truth is used and its prompt box is the tight box of the object.
/// </summary>
public sealed class SegmentationDataset
{
    public const string BoxesFile = "boxes.csv";
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp"];
    private static readonly string[] GroundTruthExtensions = [".bmp", ".png"];
    private static readonly string[] RequiredColumns = ["name", "box_x0", "box_y0", "box_x1", "box_y1"];

    private SegmentationDataset(string directory, IReadOnlyList<DatasetEntry> entries, bool hasBoxes)
    {
        Directory = directory;
        Entries = entries;
        HasBoxes = hasBoxes;
    }

    public string Directory { get; }
    public IReadOnlyList<DatasetEntry> Entries { get; }

    /// <summary>True when the prompt boxes come from boxes.csv.</summary>
    public bool HasBoxes { get; }

    public int Count => Entries.Count;

    /// <summary>Reads the listing (boxes.csv or the images folder); files are read later by <see cref="Load"/>.</summary>
    public static SegmentationDataset Open(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory)) throw new SegArgumentException("dataset", "no directory given");
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new SegInputException(full, "dataset directory not found");
        var images = Path.Combine(full, "images");
        var gt = Path.Combine(full, "gt");
        if (!System.IO.Directory.Exists(images)) throw new SegInputException(images, "dataset has no images folder (expected images/NAME.jpg|png)");
        if (!System.IO.Directory.Exists(gt)) throw new SegInputException(gt, "dataset has no gt folder (expected gt/NAME.bmp|png)");

        var csv = Path.Combine(full, BoxesFile);
        var entries = File.Exists(csv) ? ReadBoxes(csv, images, gt) : ScanImages(images, gt);
        if (entries.Count == 0) throw new SegInputException(full, "dataset has no samples");
        return new SegmentationDataset(full, entries, File.Exists(csv));
    }

    /// <summary>Reads one sample and checks that image, ground truth and listing agree.</summary>
    public DatasetSample Load(int index)
    {
        if ((uint)index >= (uint)Entries.Count)
            throw new SegArgumentException("index", $"must be 0..{Entries.Count - 1}, got {index}");
        var e = Entries[index];
        var image = EvalImageLoader.LoadBgra(e.ImagePath);
        var (gw, gh, grey) = EvalImageLoader.LoadGrey(e.GroundTruthPath);
        if (gw != image.Width || gh != image.Height)
            throw new SegInputException(e.GroundTruthPath, $"ground truth is {gw}x{gh} but image {Path.GetFileName(e.ImagePath)} is {image.Width}x{image.Height}; they must be the same size");
        if (e.ExpectedWidth is { } ew && e.ExpectedHeight is { } eh && (ew != image.Width || eh != image.Height))
            throw new SegInputException(e.ImagePath, $"is {image.Width}x{image.Height} but {BoxesFile} says {ew}x{eh}");
        var truth = GroundTruth.FromGrey(gw, gh, grey);
        var tight = truth.TightBox() ?? throw new SegInputException(e.GroundTruthPath, "ground truth has no object pixel (255)");
        var box = e.Box ?? tight;
        if (box.X1 >= image.Width || box.Y1 >= image.Height)
            throw new SegInputException(Path.Combine(Directory, BoxesFile), $"box of {e.Name} ({box.X0},{box.Y0},{box.X1},{box.Y1}) reaches outside the {image.Width}x{image.Height} image (corners are inclusive pixels)");
        return new DatasetSample(e.Name, image, truth, box, tight);
    }

    private static List<DatasetEntry> ScanImages(string images, string gt)
    {
        var list = new List<DatasetEntry>();
        var files = System.IO.Directory.GetFiles(images);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (!HasExtension(file, ImageExtensions)) continue;
            var name = Path.GetFileNameWithoutExtension(file);
            var truth = FindGroundTruth(gt, name) ?? throw new SegInputException(file, $"no ground truth for it: expected gt/{name}.bmp or gt/{name}.png");
            list.Add(new DatasetEntry(name, file, truth, null));
        }
        return list;
    }

    private static List<DatasetEntry> ReadBoxes(string csv, string images, string gt)
    {
        var lines = File.ReadAllLines(csv);
        if (lines.Length == 0) throw new SegInputException(csv, "is empty; expected a header line name,image,width,height,box_x0,box_y0,box_x1,box_y1,...");
        var header = lines[0].Split(',');
        var col = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < header.Length; i++) col[header[i].Trim()] = i;
        foreach (var required in RequiredColumns)
            if (!col.ContainsKey(required))
                throw new SegInputException(csv, $"line 1: header has no '{required}' column; expected name,image,width,height,box_x0,box_y0,box_x1,box_y1,...");

        var list = new List<DatasetEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int ln = 1; ln < lines.Length; ln++)
        {
            var line = lines[ln];
            if (line.Trim().Length == 0) continue;
            string where = $"{csv}:{ln + 1}";
            var f = line.Split(',');
            if (f.Length != header.Length)
                throw new SegInputException(where, $"has {f.Length} fields, the header has {header.Length}");
            var name = f[col["name"]].Trim();
            if (name.Length == 0) throw new SegInputException(where, "name is empty");
            if (!seen.Add(name)) throw new SegInputException(where, $"sample '{name}' is listed twice");

            string imagePath;
            if (col.TryGetValue("image", out int ic) && f[ic].Trim().Length > 0)
            {
                var file = f[ic].Trim();
                if (file.Contains('/') || file.Contains('\\') || file.Contains(".."))
                    throw new SegInputException(where, $"image '{file}' must be a plain file name inside images/");
                imagePath = Path.Combine(images, file);
                if (!File.Exists(imagePath)) throw new SegInputException(where, $"image file images/{file} not found");
            }
            else
            {
                imagePath = FindFile(images, name, ImageExtensions) ?? throw new SegInputException(where, $"no image images/{name}.jpg|png|bmp");
            }
            var truth = FindGroundTruth(gt, name) ?? throw new SegInputException(where, $"no ground truth for '{name}': expected gt/{name}.bmp or gt/{name}.png");

            int x0 = Int(f, col, "box_x0", where), y0 = Int(f, col, "box_y0", where);
            int x1 = Int(f, col, "box_x1", where), y1 = Int(f, col, "box_y1", where);
            if (x0 < 0 || y0 < 0 || x1 < x0 || y1 < y0)
                throw new SegInputException(where, $"box ({x0},{y0},{x1},{y1}) is not a valid rectangle; expected 0 <= x0 <= x1 and 0 <= y0 <= y1");
            int? w = col.ContainsKey("width") ? Int(f, col, "width", where) : null;
            int? h = col.ContainsKey("height") ? Int(f, col, "height", where) : null;
            list.Add(new DatasetEntry(name, imagePath, truth, new BoxXyxy(x0, y0, x1, y1), w, h));
        }
        return list;
    }

    private static int Int(string[] fields, Dictionary<string, int> col, string column, string where)
    {
        var text = fields[col[column]].Trim();
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new SegInputException(where, $"{column} '{text}' is not a whole number");
        return v;
    }

    private static string? FindGroundTruth(string gt, string name) => FindFile(gt, name, GroundTruthExtensions);

    private static string? FindFile(string dir, string stem, string[] extensions)
    {
        foreach (var ext in extensions)
        {
            var p = Path.Combine(dir, stem + ext);
            if (File.Exists(p)) return p;
            // Cameras and older datasets write upper-case extensions (IMG.JPG); file systems may be case-sensitive.
            p = Path.Combine(dir, stem + ext.ToUpperInvariant());
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static bool HasExtension(string file, string[] extensions)
    {
        var ext = Path.GetExtension(file);
        foreach (var e in extensions) if (string.Equals(ext, e, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
