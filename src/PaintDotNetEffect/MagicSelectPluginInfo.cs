using PaintDotNet;

namespace SegPlugins.PaintDotNetEffect;

/// <summary>What Paint.NET shows about the plugin (Help → Plugin Errors / plugin lists).</summary>
public sealed class MagicSelectPluginInfo : IPluginSupportInfo
{
    public const string Name = "Magic Select (SAM)";

    public string Author => "SegPlugins";
    public string Copyright => "SegPlugins contributors";
    public string DisplayName => Name;
    public Version Version => typeof(MagicSelectPluginInfo).Assembly.GetName().Version ?? new Version(0, 1, 0);

    // No public home page yet; the README next to the plugin is the documentation.
    public Uri WebsiteUri => new("about:blank");
}
