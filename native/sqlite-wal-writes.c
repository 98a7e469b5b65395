/*
 * A SQLite VFS that writes a transaction's WAL frames with one system call at commit.
 *
 * SQLite writes each WAL frame with two calls, its 24-byte header and then the page, so a commit that
 * changed 14 pages costs 28 pwrite calls (measured on the test VM: ~65 us, against ~12 us for one write
 * of the same bytes; system calls are dear on virtual machines). This VFS wraps the default one and, for
 * WAL files only, keeps consecutive writes in memory and writes them in one call (one per 128 KiB, the
 * most the default VFS writes at once):
 *   - when the page of a commit frame (a frame header with a non-zero "database size after commit")
 *     has been written: the commit is in the file before SQLite goes on to publish it in the WAL index,
 *     exactly as without this VFS, so other connections never see a frame that is not in the file, and
 *     a crash loses nothing that was committed;
 *   - before any other operation on the file (read, sync, truncate, size, close, ...), a write that does
 *     not follow the previous one, or once the buffer holds BUFFER_LIMIT bytes.
 * A crash before a commit frame is written loses only frames of a transaction that never committed,
 * which SQLite's recovery ignores anyway. Every other file (the database, journals) is the default
 * VFS's own, untouched.
 *
 * Loaded as an extension (storage/sqlite-wal-writes.ts) it registers itself as the default VFS and stays
 * loaded for the life of the process. sqlite_wal_writes() answers [frames written, write calls made] for
 * tests.
 */
#include <stdlib.h>
#include <string.h>
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#define VFS_NAME "tessera-wal-writes"
#define BUFFER_LIMIT (4 * 1024 * 1024)
/* The default (unix) VFS writes at most 128 KiB - 1 bytes per call (its seekAndWriteFd masks the size). */
#define WRITE_LIMIT 0x1ffff
#define WAL_HEADER_SIZE 32
#define FRAME_HEADER_SIZE 24

typedef struct WalFile {
  sqlite3_file base;
  sqlite3_file *real; /* the default VFS's file, right after this struct */
  unsigned char *buffer;
  int used;
  int capacity;
  sqlite3_int64 start; /* file offset of buffer[0] */
  int commitPending;   /* the last write was a commit frame's header: flush after its page */
} WalFile;

static sqlite3_vfs *realVfs;
static sqlite3_vfs walVfs;
static sqlite3_io_methods walMethods;
static sqlite3_int64 framesWritten;
static sqlite3_int64 writeCalls;

static int flush(WalFile *f) {
  int rc = SQLITE_OK;
  for (int done = 0; done < f->used && rc == SQLITE_OK; done += WRITE_LIMIT) {
    int amount = f->used - done < WRITE_LIMIT ? f->used - done : WRITE_LIMIT;
    rc = f->real->pMethods->xWrite(f->real, f->buffer + done, amount, f->start + done);
    writeCalls++;
  }
  f->used = 0;
  return rc;
}

static int walClose(sqlite3_file *file) {
  WalFile *f = (WalFile *)file;
  int rc = flush(f);
  int closed = f->real->pMethods->xClose(f->real);
  sqlite3_free(f->buffer);
  f->buffer = 0;
  return rc != SQLITE_OK ? rc : closed;
}

static int walRead(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset) {
  WalFile *f = (WalFile *)file;
  int rc = flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amount, offset);
}

static int walWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
  WalFile *f = (WalFile *)file;
  int rc;
  /* A frame header: bytes 4..7 are the database size after the commit, zero for other frames. */
  const unsigned char *h = (const unsigned char *)data;
  int isHeader = amount == FRAME_HEADER_SIZE && offset >= WAL_HEADER_SIZE;
  int isCommitHeader = isHeader && (h[4] | h[5] | h[6] | h[7]) != 0;

  if (f->used > 0 && offset != f->start + f->used) {
    rc = flush(f);
    if (rc != SQLITE_OK) return rc;
  }
  if (f->used + amount > BUFFER_LIMIT) {
    /* Too much for the buffer: what is held goes first, this write straight after. */
    rc = flush(f);
    if (rc == SQLITE_OK) {
      rc = f->real->pMethods->xWrite(f->real, data, amount, offset);
      writeCalls++;
    }
  } else {
    if (f->used + amount > f->capacity) {
      int capacity = f->capacity == 0 ? 64 * 1024 : f->capacity;
      while (capacity < f->used + amount) capacity *= 2;
      unsigned char *grown = sqlite3_realloc(f->buffer, capacity);
      if (grown == 0) return SQLITE_IOERR_NOMEM;
      f->buffer = grown;
      f->capacity = capacity;
    }
    if (f->used == 0) f->start = offset;
    memcpy(f->buffer + f->used, data, amount);
    f->used += amount;
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) return rc;

  if (isHeader) {
    f->commitPending = isCommitHeader;
    framesWritten++;
    return SQLITE_OK;
  }
  if (f->commitPending) {
    /* The page of a commit frame: the whole commit goes to the file now. */
    f->commitPending = 0;
    return flush(f);
  }
  return SQLITE_OK;
}

static int walTruncate(sqlite3_file *file, sqlite3_int64 size) {
  WalFile *f = (WalFile *)file;
  int rc = flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int walSync(sqlite3_file *file, int flags) {
  WalFile *f = (WalFile *)file;
  int rc = flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int walFileSize(sqlite3_file *file, sqlite3_int64 *size) {
  WalFile *f = (WalFile *)file;
  int rc = flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int walLock(sqlite3_file *file, int level) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xLock(f->real, level);
}

static int walUnlock(sqlite3_file *file, int level) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xUnlock(f->real, level);
}

static int walCheckReservedLock(sqlite3_file *file, int *out) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int walFileControl(sqlite3_file *file, int op, void *arg) {
  WalFile *f = (WalFile *)file;
  int rc = flush(f);
  return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int walSectorSize(sqlite3_file *file) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xSectorSize(f->real);
}

static int walDeviceCharacteristics(sqlite3_file *file) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* WAL files have no shared memory or mapping of their own (the WAL index belongs to the database file). */
static int walShmMap(sqlite3_file *file, int page, int size, int extend, void volatile **out) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

static int walShmLock(sqlite3_file *file, int offset, int n, int flags) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void walShmBarrier(sqlite3_file *file) {
  WalFile *f = (WalFile *)file;
  f->real->pMethods->xShmBarrier(f->real);
}

static int walShmUnmap(sqlite3_file *file, int deleteFlag) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xShmUnmap(f->real, deleteFlag);
}

static int walFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out) {
  WalFile *f = (WalFile *)file;
  int rc = flush(f);
  if (rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFetch(f->real, offset, amount, out);
}

static int walUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page) {
  WalFile *f = (WalFile *)file;
  return f->real->pMethods->xUnfetch(f->real, offset, page);
}

static int vfsOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
  (void)vfs;
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    /* Not a WAL file: the default VFS's file itself, in the space SQLite gave (at least its size). */
    return realVfs->xOpen(realVfs, name, file, flags, outFlags);
  }
  WalFile *f = (WalFile *)file;
  memset(f, 0, sizeof(WalFile));
  f->real = (sqlite3_file *)&f[1];
  int rc = realVfs->xOpen(realVfs, name, f->real, flags, outFlags);
  if (rc != SQLITE_OK) {
    f->base.pMethods = 0;
    return rc;
  }
  if (f->real->pMethods->iVersion < 3) {
    /* Never so with the default VFS; without xFetch the methods below would not match. */
    f->real->pMethods->xClose(f->real);
    f->base.pMethods = 0;
    return SQLITE_CANTOPEN;
  }
  f->base.pMethods = &walMethods;
  return SQLITE_OK;
}

static int vfsDelete(sqlite3_vfs *vfs, const char *name, int syncDir) { (void)vfs; return realVfs->xDelete(realVfs, name, syncDir); }
static int vfsAccess(sqlite3_vfs *vfs, const char *name, int flags, int *out) { (void)vfs; return realVfs->xAccess(realVfs, name, flags, out); }
static int vfsFullPathname(sqlite3_vfs *vfs, const char *name, int n, char *out) { (void)vfs; return realVfs->xFullPathname(realVfs, name, n, out); }
static void *vfsDlOpen(sqlite3_vfs *vfs, const char *name) { (void)vfs; return realVfs->xDlOpen(realVfs, name); }
static void vfsDlError(sqlite3_vfs *vfs, int n, char *out) { (void)vfs; realVfs->xDlError(realVfs, n, out); }
static void (*vfsDlSym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void) { (void)vfs; return realVfs->xDlSym(realVfs, handle, symbol); }
static void vfsDlClose(sqlite3_vfs *vfs, void *handle) { (void)vfs; realVfs->xDlClose(realVfs, handle); }
static int vfsRandomness(sqlite3_vfs *vfs, int n, char *out) { (void)vfs; return realVfs->xRandomness(realVfs, n, out); }
static int vfsSleep(sqlite3_vfs *vfs, int micros) { (void)vfs; return realVfs->xSleep(realVfs, micros); }
static int vfsCurrentTime(sqlite3_vfs *vfs, double *out) { (void)vfs; return realVfs->xCurrentTime(realVfs, out); }
static int vfsGetLastError(sqlite3_vfs *vfs, int n, char *out) { (void)vfs; return realVfs->xGetLastError(realVfs, n, out); }
static int vfsCurrentTimeInt64(sqlite3_vfs *vfs, sqlite3_int64 *out) { (void)vfs; return realVfs->xCurrentTimeInt64(realVfs, out); }

static void statsFunction(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  char text[64];
  sqlite3_snprintf(sizeof(text), text, "[%lld,%lld]", framesWritten, writeCalls);
  sqlite3_result_text(context, text, -1, SQLITE_TRANSIENT);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_sqlitewalwrites_init(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
  SQLITE_EXTENSION_INIT2(api);
  (void)error;
  int rc = sqlite3_create_function(db, "sqlite_wal_writes", 0, SQLITE_UTF8, 0, statsFunction, 0, 0);
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_vfs_find(VFS_NAME) != 0) return SQLITE_OK_LOAD_PERMANENTLY;
  realVfs = sqlite3_vfs_find(0);
  if (realVfs == 0 || realVfs->iVersion < 2) return SQLITE_ERROR;
  walVfs.iVersion = 2;
  walVfs.szOsFile = (int)sizeof(WalFile) + realVfs->szOsFile;
  walVfs.mxPathname = realVfs->mxPathname;
  walVfs.zName = VFS_NAME;
  walVfs.xOpen = vfsOpen;
  walVfs.xDelete = vfsDelete;
  walVfs.xAccess = vfsAccess;
  walVfs.xFullPathname = vfsFullPathname;
  walVfs.xDlOpen = vfsDlOpen;
  walVfs.xDlError = vfsDlError;
  walVfs.xDlSym = vfsDlSym;
  walVfs.xDlClose = vfsDlClose;
  walVfs.xRandomness = vfsRandomness;
  walVfs.xSleep = vfsSleep;
  walVfs.xCurrentTime = vfsCurrentTime;
  walVfs.xGetLastError = vfsGetLastError;
  walVfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;

  walMethods.iVersion = 3;
  walMethods.xClose = walClose;
  walMethods.xRead = walRead;
  walMethods.xWrite = walWrite;
  walMethods.xTruncate = walTruncate;
  walMethods.xSync = walSync;
  walMethods.xFileSize = walFileSize;
  walMethods.xLock = walLock;
  walMethods.xUnlock = walUnlock;
  walMethods.xCheckReservedLock = walCheckReservedLock;
  walMethods.xFileControl = walFileControl;
  walMethods.xSectorSize = walSectorSize;
  walMethods.xDeviceCharacteristics = walDeviceCharacteristics;
  walMethods.xShmMap = walShmMap;
  walMethods.xShmLock = walShmLock;
  walMethods.xShmBarrier = walShmBarrier;
  walMethods.xShmUnmap = walShmUnmap;
  walMethods.xFetch = walFetch;
  walMethods.xUnfetch = walUnfetch;

  rc = sqlite3_vfs_register(&walVfs, 1);
  return rc == SQLITE_OK ? SQLITE_OK_LOAD_PERMANENTLY : rc;
}
