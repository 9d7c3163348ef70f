namespace Builder.Oci.Content;

/// <summary>Buffers for direct I/O: pinned (never moved) and starting at an aligned address, as DMA needs.</summary>
internal static class AlignedBuffer
{
    public const int Alignment = 4096;

    public static Memory<byte> Allocate(int size)
    {
        var array = GC.AllocateUninitializedArray<byte>(size + Alignment, pinned: true);
        var address = System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        return array.AsMemory((int)((Alignment - address % Alignment) % Alignment), size);
    }
}
