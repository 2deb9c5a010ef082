namespace DnsTools.Core.Images;

/// <summary>The ceiling on decompressed bytes, charged as a layer is read.</summary>
internal abstract class ByteBudget
{
    protected ByteBudget(string image, long max) { Image = image; Max = max; }
    public string Image { get; }
    public long Max { get; }

    /// <summary>Counts <paramref name="n"/> more bytes; throws when the ceiling is passed.</summary>
    public abstract void Charge(long n);

    public ImageException Exceeded() =>
        new(ImageErrorKind.LimitExceeded, Image, $"Image '{Image}': more than {Max} decompressed bytes (the -MaxDecompressedBytes ceiling); stopped.");
}

/// <summary>One read of an image, layer after layer on one thread.</summary>
internal sealed class ScanBudget : ByteBudget
{
    public ScanBudget(string image, long max) : base(image, max) { }
    public long Used { get; set; }

    public override void Charge(long n)
    {
        Used += n;
        if (Used > Max) throw Exceeded();
    }
}

/// <summary>
/// One layer's share when layers are read at once: a sequential read would have counted every layer below
/// first, so the ceiling is passed as soon as what those have read so far (at most their final count) and this
/// layer's own bytes exceed it. The reader checks the exact sum when it merges the layer, in order.
/// </summary>
internal sealed class LayerMeter : ByteBudget
{
    private readonly LayerMeter[] _all;
    private readonly int _index;
    private long _own;

    public LayerMeter(ScanBudget whole, LayerMeter[] all, int index) : base(whole.Image, whole.Max) { _all = all; _index = index; }

    /// <summary>Decompressed bytes this layer has read.</summary>
    public long Own => Volatile.Read(ref _own);

    /// <summary>What the layers below have read (exact once they are done).</summary>
    public long Below()
    {
        long sum = 0;
        for (var i = 0; i < _index; i++) sum += _all[i].Own;
        return sum;
    }

    public override void Charge(long n)
    {
        Volatile.Write(ref _own, _own + n); // only this layer's thread writes
        if (Below() + _own > Max) throw Exceeded();
    }
}
