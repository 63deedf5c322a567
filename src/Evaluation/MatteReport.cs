using SegPlugins.Core;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SegPlugins.Core.IO;

namespace SegPlugins.Evaluation;

/// <summary>Means over a matte evaluation and their renderings: JSON report, per-image CSV, console table.</summary>
public sealed class MatteReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public MatteReport(string dataset, MattePrompt prompt, IReadOnlyList<MatteImageResult> images)
    {
        Dataset = dataset;
        Prompt = prompt;
        PerImage = images;
        int n = images.Count;
        Sad = n == 0 ? 0 : images.Average(i => i.Sad);
        Mse = n == 0 ? 0 : images.Average(i => i.Mse);
        Gradient = n == 0 ? 0 : images.Average(i => i.Gradient);
        Connectivity = n == 0 ? 0 : images.Average(i => i.Connectivity);
        SadUnknown = n > 0 && images.All(i => i.SadUnknown.HasValue) ? images.Average(i => i.SadUnknown!.Value) : null;
        SelectionSad = n > 0 && images.All(i => i.SelectionSad.HasValue) ? images.Average(i => i.SelectionSad!.Value) : null;
        MsMedian = Median(images.Select(i => i.Ms).ToArray());
        MsPerMegapixelMedian = Median(images.Select(i => i.Ms * 1e6 / ((double)i.Width * i.Height)).ToArray());
    }

    public string Dataset { get; }
    public MattePrompt Prompt { get; }
    public IReadOnlyList<MatteImageResult> PerImage { get; }
    public double Sad { get; }
    public double Mse { get; }
    public double Gradient { get; }
    public double Connectivity { get; }
    public double? SadUnknown { get; }
    public double? SelectionSad { get; }
    public double MsMedian { get; }
    public double MsPerMegapixelMedian { get; }

    /// <summary>
    /// <c>images, prompt, matte_sad, matte_mse, matte_grad, matte_conn, matte_sad_unknown, matte_ms_median,
    /// matte_ms_per_mp_median, selection_sad</c> (means over the images; SAD, gradient and connectivity / 1000;
    /// scores not measured are null).
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("dataset", Dataset);
            w.WriteNumber("images", PerImage.Count);
            w.WriteString("prompt", Prompt == MattePrompt.Box ? "box" : "trimap");
            w.WriteNumber("matte_sad", Math.Round(Sad, 3));
            w.WriteNumber("matte_mse", Math.Round(Mse, 6));
            w.WriteNumber("matte_grad", Math.Round(Gradient, 3));
            w.WriteNumber("matte_conn", Math.Round(Connectivity, 3));
            Nullable(w, "matte_sad_unknown", SadUnknown, 3);
            w.WriteNumber("matte_ms_median", Math.Round(MsMedian, 1));
            w.WriteNumber("matte_ms_per_mp_median", Math.Round(MsPerMegapixelMedian, 1));
            Nullable(w, "selection_sad", SelectionSad, 3);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>One line per image: name,width,height,unknown_px,sad,mse,grad,conn,sad_unknown,selection_sad,ms,encoder_ms.</summary>
    public string ToPerImageCsv()
    {
        var sb = new StringBuilder("name,width,height,unknown_px,sad,mse,grad,conn,sad_unknown,selection_sad,ms,encoder_ms\n");
        foreach (var i in PerImage)
            sb.Append(string.Create(Inv, $"{i.Name},{i.Width},{i.Height},{i.UnknownPixels},{i.Sad:0.###},{i.Mse:0.######},{i.Gradient:0.###},{i.Connectivity:0.###},{Opt(i.SadUnknown)},{Opt(i.SelectionSad)},{i.Ms:0.0},{i.EncoderMs:0.0}\n"));
        return sb.ToString();
    }

    public void WriteJson(string path) => AtomicFile.WriteAllText(path, ToJson());
    public void WritePerImageCsv(string path) => AtomicFile.WriteAllText(path, ToPerImageCsv());

    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.Append(string.Create(Inv, $"{"image",-10} {"SAD",8} {"MSEx1e3",8} {"grad",8} {"conn",8} {"SADunk",8} {"selSAD",8} {"ms",8}\n"));
        foreach (var i in PerImage)
            sb.Append(string.Create(Inv, $"{i.Name,-10} {i.Sad,8:0.00} {i.Mse * 1000,8:0.00} {i.Gradient,8:0.00} {i.Connectivity,8:0.00} {Opt(i.SadUnknown),8} {Opt(i.SelectionSad),8} {i.Ms,8:0}\n"));
        sb.Append(string.Create(Inv, $"{"mean",-10} {Sad,8:0.00} {Mse * 1000,8:0.00} {Gradient,8:0.00} {Connectivity,8:0.00} {Opt(SadUnknown),8} {Opt(SelectionSad),8} {MsMedian,8:0}\n"));
        sb.Append(string.Create(Inv, $"({PerImage.Count} images, prompt {(Prompt == MattePrompt.Box ? "box" : "trimap")}; ms: median, {MsPerMegapixelMedian:0} ms per megapixel)\n"));
        return sb.ToString();
    }

    private static string Opt(double? v) => v is { } x ? x.ToString("0.00", Inv) : "";

    private static void Nullable(Utf8JsonWriter w, string key, double? v, int digits)
    {
        if (v is { } x) w.WriteNumber(key, Math.Round(x, digits));
        else w.WriteNull(key);
    }

    private static double Median(double[] v)
    {
        if (v.Length == 0) return 0;
        Array.Sort(v);
        return v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
    }
}
