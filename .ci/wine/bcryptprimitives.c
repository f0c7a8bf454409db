/* bcryptprimitives.dll for Wine 8.0 (Debian 12), which lacks it: Rust 1.78 and later import
 * ProcessPrng from it to seed std's hash maps, and without it every Rust program exits at once
 * with status 53 and no output. Wine 8.13 and later ship the DLL; real Windows 10+ has it.
 * Built by .ci/run with: x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll
 *   bcryptprimitives.c -lbcrypt */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* BCryptGenRandom takes a ULONG: feed larger requests in pieces. */
    while (len > 0) {
        ULONG piece = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (BCryptGenRandom(NULL, data, piece, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += piece;
        len -= piece;
    }
    return TRUE;
}
