using System.Text;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.IO;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Fuzz;

/// <summary>
/// The fuzz target bodies, compiled into both segfuzz (under afl-fuzz) and the Core tests (which replay the seed
/// and regression corpora), so both run exactly the same code. Contract: the product API returns, or throws a
/// <see cref="SegException"/> whose message names the input. Anything else escapes and is a finding.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Target names as given to <c>segfuzz</c> and used as corpus folder names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["image", "mask", "model", "sidecar"];

    public static Action<byte[]> Get(string target) => target switch
    {
        "image" => Image,
        "mask" => Mask,
        "model" => Model,
        "sidecar" => Sidecar,
        _ => throw new ArgumentException($"unknown fuzz target '{target}'; expected one of {string.Join(", ", Names)}", nameof(target)),
    };

    /// <summary>ImageIO.Load from a stream with the default format allow-list and pixel limit.</summary>
    public static void Image(byte[] data)
    {
        const string name = "fuzz-input.img";
        Expect(name, () =>
        {
            using var s = new MemoryStream(data, writable: false);
            var image = ImageIO.Load(s, name);
            if (image.Width <= 0 || image.Height <= 0) throw new FuzzContractException($"decoded a {image.Width}x{image.Height} image");
        });
    }

    /// <summary>Mask inputs; the first byte picks the reader, the rest is the file.</summary>
    public static void Mask(byte[] data)
    {
        if (data.Length == 0) return;
        byte pick = data[0];
        var body = data.AsMemory(1);
        switch (pick % 6)
        {
            case 0:
                Expect("fuzz-mask.png", () => MaskPng.LoadSoftMask(Stream(body), "fuzz-mask.png"));
                break;
            case 1:
                Expect("fuzz-mask.png", () => MaskPng.LoadMask(Stream(body), "fuzz-mask.png", MaskChannel.Alpha, threshold: (byte)(pick | 1)));
                break;
            case 2:
                Expect("fuzz-mask.png", () => MaskPng.LoadMask(Stream(body), "fuzz-mask.png", MaskChannel.Gray));
                break;
            case 3:
                Expect("fuzz.rle.json", () => CocoRle.FromJson(Text(body), "fuzz.rle.json"));
                break;
            case 4:
                Expect("fuzz-logits.npy", () => NpyFile.Read(Stream(body), "fuzz-logits.npy"));
                break;
            default:
                // What MaskPolygons.LoadJson does after reading the file: parse, then rasterise.
                Expect("fuzz.polygons.json", () => MaskPolygons.Rasterize(MaskPolygons.FromJson(Text(body), "fuzz.polygons.json")));
                break;
        }
    }

    /// <summary>The model manifest (first byte even) or the ONNX file check (first byte odd).</summary>
    public static void Model(byte[] data)
    {
        if (data.Length == 0) return;
        var body = data.AsMemory(1);
        if ((data[0] & 1) == 0)
            Expect("fuzz-models.json", () => ModelManifest.Parse(body.Span, "fuzz-models.json"));
        else
            Expect("fuzz-model.onnx", () => OnnxModelLoader.CheckHeader(Stream(body), "fuzz-model.onnx", "fuzz"));
    }

    /// <summary>The per-image prompt sidecar of the refine-with-points recipe.</summary>
    public static void Sidecar(byte[] data)
    {
        const string name = "fuzz.points.json";
        Expect(name, () =>
        {
            var prompts = PromptSidecar.Parse(Text(data), name).ToPromptSet();
            if (prompts.Points.Count > PromptSidecar.MaxPoints) throw new FuzzContractException($"{prompts.Points.Count} points accepted");
        });
    }

    /// <summary>Told how each input ended (accepted, or refused with the message); for triage and tests.</summary>
    public static Action<string>? Outcome { get; set; }

    private static MemoryStream Stream(ReadOnlyMemory<byte> body) => new(body.ToArray(), writable: false);

    // Text inputs are read with File.ReadAllText in the product: UTF-8 with replacement characters.
    private static string Text(ReadOnlyMemory<byte> body) => Encoding.UTF8.GetString(body.Span);

    private static void Expect(string name, Action body)
    {
        try { body(); Outcome?.Invoke("accepted"); }
        catch (SegException e) when (e.Message.Contains(name, StringComparison.Ordinal)) { Outcome?.Invoke("refused: " + e.Message); }
        catch (SegException e) { throw new FuzzContractException($"{e.GetType().Name} does not name the input '{name}': {e.Message}", e); }
    }
}

/// <summary>A rule of the target contract was broken (an error that does not name its input, an impossible result).</summary>
public sealed class FuzzContractException(string message, Exception? inner = null) : Exception(message, inner);
