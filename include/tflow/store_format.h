/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_format: the layout of tflow-collector --write files, shared by the
 * writer and the reader (src/store/).  docs/design/storage.md explains the
 * choices; this header is the reference for offsets and constants.
 *
 * Every integer is big-endian and every field is read with a bounded
 * cursor (wire_cursor.h): the offsets below are byte positions, never a
 * struct to cast onto file bytes.
 *
 *   file    = header chunk* [trailer footer]
 *   header  = 64 bytes, STORE_HDR_*
 *   chunk   = prefix (16 bytes, STORE_CHUNK_*) meta (meta_len) data (data_len)
 *             kinds: 'B' block of records, 'E' exporter table additions
 *             and loss deltas, 'T' trailer (last chunk of a finished file)
 *   footer  = 16 bytes: the trailer's offset, so a finished file opens
 *             with three reads
 *
 * A chunk's CRC-32C covers its prefix and meta; the compressed column
 * streams in a block's data are zstd frames with their own checksum, so a
 * reader verifies exactly the columns it decompresses.  A file cut by a
 * crash ends at its last chunk that is whole on disk.
 */
#ifndef TFLOW_STORE_FORMAT_H
#define TFLOW_STORE_FORMAT_H

/* ---- file header ------------------------------------------------------- */
#define STORE_MAGIC		"TFLOWSTO"	/* 8 bytes, no NUL */
#define STORE_MAGIC_LEN		8
#define STORE_VERSION		3
/* The oldest version this reader still reads: version 2 is version 3
 * without the PAIRS column (no record refers to its reverse). */
#define STORE_VERSION_MIN	2
#define STORE_HDR_LEN		64
#define STORE_HDR_MAGIC		0	/* 8  "TFLOWSTO" */
#define STORE_HDR_VERSION	8	/* u16 STORE_VERSION */
#define STORE_HDR_HDRLEN	10	/* u16 STORE_HDR_LEN */
#define STORE_HDR_PERIOD_S	12	/* u32 rotation period, seconds */
#define STORE_HDR_START_MS	16	/* u64 period start, Unix ms (UTC) */
#define STORE_HDR_CREATED_MS	24	/* u64 when the writer opened it */
#define STORE_HDR_BLOCK_CAP	32	/* u32 records per block, at most */
#define STORE_HDR_RESERVED	36	/* 24 zero bytes */
#define STORE_HDR_CRC		60	/* u32 CRC-32C of bytes 0..59 */

/* ---- chunk prefix ---------------------------------------------------------- */
#define STORE_CHUNK_PREFIX_LEN	16
#define STORE_CHUNK_MAGIC	0	/* 3  "TFC" */
#define STORE_CHUNK_KIND	3	/* u8 'B', 'E' or 'T' */
#define STORE_CHUNK_META_LEN	4	/* u32 bytes of meta after the prefix */
#define STORE_CHUNK_DATA_LEN	8	/* u32 bytes of data after the meta */
#define STORE_CHUNK_CRC		12	/* u32 CRC-32C of prefix 0..11 + meta */
#define STORE_CHUNK_MAGIC_STR	"TFC"
#define STORE_KIND_BLOCK	'B'
#define STORE_KIND_EXPORTERS	'E'
#define STORE_KIND_TRAILER	'T'
/* Sanity bounds a reader enforces before allocating anything. */
#define STORE_META_MAX		(64u << 20)
#define STORE_DATA_MAX		(1024u << 20)

/* ---- 'B' block meta: the summary, readable without decompressing ---------- */
#define STORE_BLK_RECORDS	0	/* u32 */
#define STORE_BLK_FIRST_MS	4	/* u64 min first_ms */
#define STORE_BLK_LAST_MS	12	/* u64 max last_ms */
#define STORE_BLK_MIN_ADDR4	20	/* 4  min IPv4 over src and dst */
#define STORE_BLK_MAX_ADDR4	24	/* 4  max */
#define STORE_BLK_FLAGS		28	/* u8 STORE_BLKF_* */
#define STORE_BLK_NCOLS		29	/* u8 column streams that follow */
#define STORE_BLK_RESERVED	30	/* u16 zero */
#define STORE_BLK_PROTOS	32	/* 32 bitmap, bit p of byte p/8 (LSB first) */
#define STORE_BLK_COLDIR	64	/* ncols x (u32 raw_len, u32 comp_len) */
#define STORE_BLK_FIXED_LEN	64
#define STORE_BLK_COLDIR_ENTRY	8
#define STORE_BLKF_V4		0x01
#define STORE_BLKF_V6		0x02
/* Data: the column streams in enum store_col order, back to back, each a
 * zstd frame (with content checksum) of comp_len bytes that decompresses
 * to raw_len bytes.  A reader ignores columns beyond the ones it knows. */

/* ---- 'E' exporters meta ---------------------------------------------------- */
#define STORE_EXP_COUNT		0	/* u32 entries that follow */
#define STORE_EXP_FIRST		4
#define STORE_EXP_ENTRY_LEN	44
#define STORE_EXPE_INDEX	0	/* u16 index records refer to */
#define STORE_EXPE_FAMILY	2	/* u8 4 or 6 (0: local) */
#define STORE_EXPE_RESERVED	3	/* u8 zero */
#define STORE_EXPE_VERSION	4	/* u16 NetFlow version, 10 IPFIX */
#define STORE_EXPE_RESERVED2	6	/* u16 zero */
#define STORE_EXPE_DOMAIN	8	/* u32 source id / observation domain */
#define STORE_EXPE_ADDR		12	/* 16 IPv4 in the first 4 bytes */
#define STORE_EXPE_LOST_REC	28	/* u64 records lost (sequence gaps) */
#define STORE_EXPE_LOST_DGRAM	36	/* u64 datagrams lost (v9 sequence) */
/* In an 'E' chunk an entry whose index is new adds the exporter; one
 * whose index is known adds its loss counts to the exporter's.  Index
 * STORE_EXP_NONE in a record means "not in the table". */
#define STORE_EXP_NONE		0xffff
#define STORE_EXP_MAX		0xffff

/* ---- 'T' trailer meta: what a finished file holds --------------------------- */
#define STORE_TRL_FIRST_MS	0	/* u64 min first_ms of every record */
#define STORE_TRL_LAST_MS	8	/* u64 max last_ms */
#define STORE_TRL_RECORDS	16	/* u64 */
#define STORE_TRL_NBLOCKS	24	/* u32 */
#define STORE_TRL_NEXP		28	/* u32 */
#define STORE_TRL_EXPORTERS	32	/* NEXP x STORE_EXP_ENTRY_LEN, totals */
/* ... then NBLOCKS x u64: the file offset of each 'B' chunk. */

/* ---- footer: the file's last 16 bytes when finished -------------------------- */
#define STORE_FTR_LEN		16
#define STORE_FTR_TRAILER_OFF	0	/* u64 offset of the 'T' chunk */
#define STORE_FTR_CRC		8	/* u32 CRC-32C of bytes 0..7 */
#define STORE_FTR_MAGIC		12	/* 4  "TFSE" */
#define STORE_FTR_MAGIC_STR	"TFSE"

/* ---- file names ---------------------------------------------------------------- */
/* DIR/YYYY/MM/DD/tflow-YYYYMMDDTHHMMSSZ[-N].tfs, the UTC period start;
 * STORE_SUFFIX_CURRENT appended while the file is being written. */
#define STORE_NAME_PREFIX	"tflow-"
#define STORE_NAME_EXT		".tfs"
#define STORE_SUFFIX_CURRENT	".current"
/* A compacted copy of a finished .current, being written: renamed over the
 * .current when whole, removed at start when a crash left it. */
#define STORE_SUFFIX_COMPACT	".compact"

#endif
