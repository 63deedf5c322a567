namespace SegPlugins.Core.Imaging;

/// <summary>How hard a PNG encoder works at making the file small; every choice decodes to the same pixels.</summary>
public enum PngCompression
{
    /// <summary>The encoder's default (zlib level 6, a filter chosen per row): small files for saving.</summary>
    Default,

    /// <summary>
    /// zlib level 1: for answers that go straight to a screen. A 1 MP mask (one blob with a ragged edge) encodes
    /// about 3x faster (27.8 against 10.2 ms median, one process, alternating) into a file about twice as large
    /// (12 against 6 KB).
    /// </summary>
    Fast,
}
