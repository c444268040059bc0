/*
 * emu_trace: a QEMU TCG plugin that counts what a Cortex-M core executed
 * inside a measured window, for emu's timing model.
 *
 * Everything is counted cumulatively from reset, in records that live as long
 * as QEMU does; each record remembers its value at the last window boundary.
 * A boundary (the start, layer and end markers) writes the difference as one
 * segment and moves the remembered values forward. Markers are rare, so the
 * cost of a boundary does not matter; what runs per block and per memory read
 * does, and is kept to a few increments.
 *
 * - Executions: one inline counter per translated block.
 * - Branches: QEMU ends a block at every branch, so the block after one that
 *   ends in a conditional branch starts either at the branch target (taken)
 *   or at the next instruction; a small callback per block compares.
 * - Reads: PC- and SP-relative loads are counted inline (their region is known
 *   when translating); other loads get a callback per memory access, so an
 *   LDM of four registers counts four reads. An LDRD counts two, also where
 *   QEMU reads both words in one 8-byte access.
 * - Cut blocks (API 2 on): QEMU 10 leaves a block right after an access to
 *   the system control space and goes on in a new block at the next
 *   instruction. An inline counter on each block's last instruction tells
 *   whether the block ran to its end; when it did not and the next block starts
 *   inside it, the instructions from there on did not run in it, and a "c"
 *   record takes them back.
 *
 * - Flash line fills (flashcache=... given): each data read from flash looks its line up
 *   in a model of the board's flash cache (line bytes, sets, ways; least recently used
 *   line replaced), and a miss counts one line fill for the load. PC-relative loads are
 *   left out: their lines hold the code that reads them, which the same cache holds.
 *
 * Arguments (key=value): out=PATH, budget=N, flash=ORIGIN:SIZE, ram=ORIGIN:SIZE,
 * and optionally weights=ORIGIN:SIZE (a second region whose reads count as flash reads:
 * where a board's read-only data sit when the machine's code memory is too small),
 * flashcache=LINE_BYTES:SETS:WAYS (the flash cache's geometry, each a power of two),
 * start=ADDR, end=ADDR, layer=ADDR (instruction addresses).
 *
 * Output (text, one record a line), read by emu/emulators/qemu_trace.py:
 *   emu-trace 2               the format's version (version 1 had no flashcache record and no FILLS)
 *   flashcache LINE SETS WAYS the flash cache modelled (only with flashcache=): FILLS count
 *   block ID ADDR...          a translated block and its instruction addresses
 *   segment                   the counts that follow belong to a new segment
 *   x ID COUNT                executions of block ID
 *   t ADDR TAKEN              times the conditional branch at ADDR was taken
 *   l ADDR FLASH RAM OTHER FILLS  reads by the instruction at ADDR, by region, and the
 *                             flash cache lines its flash reads filled (0 without flashcache=)
 *   c ID ADDR COUNT           block ID was cut short COUNT times: its instructions
 *                             from ADDR on ran COUNT times fewer than the block
 *   end KIND TOTAL PC [INSN]  how the run ended (exit, budget or wait), instructions
 *                             of the whole run, address of the last block (for
 *                             wait: of the WFI or WFE, named by INSN)
 *
 * With wait=stop, the first WFI or WFE to execute ends the run ("end wait"):
 * emu passes it when the firmware gives no interrupt a handler, so the core
 * could only sleep until the timeout.
 *
 * Built for one plugin API version (EMU_QEMU_PLUGIN_API, see qemu_plugin_api.h):
 * from version 2 on, the inline counters live in per-vCPU scoreboards.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_plugin_api.h"

EMU_PLUGIN_EXPORT int qemu_plugin_version = EMU_QEMU_PLUGIN_API;

/* A 64-bit counter that translated code adds to inline. */
#if EMU_QEMU_PLUGIN_API >= 2
typedef qemu_plugin_u64 counter;
#else
typedef uint64_t *counter;
#endif

enum region { FLASH, RAM, OTHER };

struct branch {
    uint32_t address, target;
    uint64_t taken, taken_before;
};

struct block {
    counter executions;
    uint64_t executions_before;
    uint32_t id, address, n_insns;
    struct branch *branch; /* the conditional branch ending this block, if any */
#if EMU_QEMU_PLUGIN_API >= 2
    counter completions;   /* times its last instruction started */
    uint64_t cuts_seen;    /* executions - completions when last looked at */
    uint32_t last_address; /* of its last instruction */
    uint32_t *addresses;   /* of each instruction */
#endif
};

/* Where a block was cut short, and how often. */
struct cut {
    uint32_t block_id, address;
    uint64_t count, count_before;
};

struct load_site {
    uint32_t address;
    bool pair;    /* LDRD: an 8-byte access is two word reads */
    bool literal; /* PC-relative: its line holds the code reading it, so it stays out of the cache model */
    counter reads[3];
    uint64_t reads_before[3];
    counter fills; /* flash cache lines its reads filled */
    uint64_t fills_before;
};

/* A growable list of record pointers; the records themselves never move,
 * because translated code holds their addresses. */
struct list {
    void **items;
    size_t length, capacity;
};

/* Open addressing from a 64-bit key to a record. Translation is rare, so a
 * simple table is plenty. */
struct table {
    uint64_t *keys;
    void **values;
    size_t capacity, used;
};

enum marker_kind { MARK_START, MARK_LAYER, MARK_END };

struct marker {
    enum marker_kind kind;
    struct block *block; /* the block holding the marker instruction */
};

enum window_state { WINDOW_BEFORE, WINDOW_OPEN, WINDOW_CLOSED };

static struct {
    FILE *out;
    uint64_t budget;
    uint32_t flash_lo, flash_hi, weights_lo, weights_hi, ram_lo, ram_hi;
    int64_t start, end, layer; /* -1: not used */
    enum window_state window;
    bool finished;
    bool stop_at_wait; /* wait=stop */
    uint32_t wait_pc;
    const char *wait_name; /* "WFI" or "WFE" */

    counter total; /* instructions since reset, added inline per block */
    uint64_t not_run; /* instructions of cut blocks that total counted but never ran */
    uint64_t blocks_run;
    struct branch *pending; /* branch whose outcome the next block reveals */
    struct block *last;

    struct list blocks, branches, loads, cuts;
    struct table block_by_key, branch_by_address, load_by_address, cut_by_key;
} S = { .start = -1, .end = -1, .layer = -1 };

/* The flash cache model: per set, the line numbers held (plus one; 0 is an empty way), most
 * recently used first. Only data reads from flash look lines up (one vCPU: no locking). */
static struct {
    uint32_t line_shift, sets, ways;
    uint32_t *lines; /* sets * ways */
} Cache;

/* ---- small containers ---- */

static void *must(void *p)
{
    if (!p) {
        fprintf(stderr, "emu_trace: out of memory\n");
        _exit(70);
    }
    return p;
}

static void list_push(struct list *l, void *item)
{
    if (l->length == l->capacity) {
        l->capacity = l->capacity ? 2 * l->capacity : 1024;
        l->items = must(realloc(l->items, l->capacity * sizeof *l->items));
    }
    l->items[l->length++] = item;
}

static size_t table_slot(const struct table *t, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (t->capacity - 1);
    while (t->values[i] && t->keys[i] != key) {
        i = (i + 1) & (t->capacity - 1);
    }
    return i;
}

static void table_grow(struct table *t)
{
    struct table bigger = { .capacity = t->capacity ? 2 * t->capacity : 4096 };
    bigger.keys = must(calloc(bigger.capacity, sizeof *bigger.keys));
    bigger.values = must(calloc(bigger.capacity, sizeof *bigger.values));
    for (size_t i = 0; i < t->capacity; i++) {
        if (t->values[i]) {
            size_t j = table_slot(&bigger, t->keys[i]);
            bigger.keys[j] = t->keys[i];
            bigger.values[j] = t->values[i];
            bigger.used++;
        }
    }
    free(t->keys);
    free(t->values);
    *t = bigger;
}

static void *table_get(struct table *t, uint64_t key)
{
    return t->capacity ? t->values[table_slot(t, key)] : NULL;
}

static void table_put(struct table *t, uint64_t key, void *value)
{
    if (2 * (t->used + 1) > t->capacity) {
        table_grow(t);
    }
    size_t i = table_slot(t, key);
    t->keys[i] = key;
    t->values[i] = value;
    t->used++;
}

/* ---- inline counters ---- */

/* Counters are handed out from chunks that never move, since translated code
 * holds their addresses; a chunk is a scoreboard from API version 2 on. */
#define COUNTERS_PER_CHUNK 4096

static struct {
#if EMU_QEMU_PLUGIN_API >= 2
    struct qemu_plugin_scoreboard *chunk;
#else
    uint64_t *chunk;
#endif
    size_t used;
} Counters = { .used = COUNTERS_PER_CHUNK };

static counter new_counter(void)
{
    if (Counters.used == COUNTERS_PER_CHUNK) {
#if EMU_QEMU_PLUGIN_API >= 2
        Counters.chunk = must(qemu_plugin_scoreboard_new(COUNTERS_PER_CHUNK * sizeof(uint64_t)));
#else
        Counters.chunk = must(calloc(COUNTERS_PER_CHUNK, sizeof(uint64_t)));
#endif
        Counters.used = 0;
    }
    size_t slot = Counters.used++;
#if EMU_QEMU_PLUGIN_API >= 2
    return (counter){ Counters.chunk, slot * sizeof(uint64_t) };
#else
    return &Counters.chunk[slot];
#endif
}

/* The counter's value, summed over vCPUs (the Cortex-M machines have one). */
static uint64_t counter_value(counter c)
{
#if EMU_QEMU_PLUGIN_API >= 2
    return qemu_plugin_u64_sum(c);
#else
    return *c;
#endif
}

/* The part of the counter that vCPU `vcpu` added: one lookup, cheap enough for
 * a callback that runs with every block. */
static uint64_t counter_value_on(counter c, unsigned int vcpu)
{
#if EMU_QEMU_PLUGIN_API >= 2
    return qemu_plugin_u64_get(c, vcpu);
#else
    (void)vcpu;
    return *c;
#endif
}

/* Adds from a callback running on vCPU `vcpu`. */
static void counter_add(counter c, unsigned int vcpu, uint64_t n)
{
#if EMU_QEMU_PLUGIN_API >= 2
    qemu_plugin_u64_add(c, vcpu, n);
#else
    (void)vcpu;
    *c += n;
#endif
}

static void add_per_block(struct qemu_plugin_tb *tb, counter c, uint64_t n)
{
#if EMU_QEMU_PLUGIN_API >= 2
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, c, n);
#else
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, c, n);
#endif
}

static void add_per_insn(struct qemu_plugin_insn *insn, counter c, uint64_t n)
{
#if EMU_QEMU_PLUGIN_API >= 2
    qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, c, n);
#else
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, c, n);
#endif
}

/* ---- Thumb decoding: only what the counts need ---- */

static uint16_t halfword(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int32_t sign_extend(uint32_t value, int bits)
{
    uint32_t sign = 1u << (bits - 1);
    return (int32_t)((value ^ sign) - sign);
}

/* B<cond> (16- and 32-bit), CBZ and CBNZ; the branch target goes to *target. */
static bool is_conditional_branch(const uint8_t *p, size_t size, uint32_t pc, uint32_t *target)
{
    uint16_t hw1 = halfword(p);
    if (size == 2) {
        if ((hw1 & 0xF000) == 0xD000 && ((hw1 >> 8) & 0xF) < 0xE) {
            *target = pc + 4 + (uint32_t)sign_extend((hw1 & 0xFFu) << 1, 9);
            return true;
        }
        if ((hw1 & 0xF500) == 0xB100) {
            *target = pc + 4 + ((((hw1 >> 9) & 1u) << 6) | (((hw1 >> 3) & 0x1Fu) << 1));
            return true;
        }
        return false;
    }
    uint16_t hw2 = halfword(p + 2);
    if ((hw1 & 0xF800) == 0xF000 && (hw2 & 0xD000) == 0x8000 && ((hw1 >> 6) & 0xF) < 0xE) {
        uint32_t imm = ((hw1 >> 10) & 1u) << 20 | ((hw2 >> 11) & 1u) << 19 |
                       ((hw2 >> 13) & 1u) << 18 | (hw1 & 0x3Fu) << 12 | (hw2 & 0x7FFu) << 1;
        *target = pc + 4 + (uint32_t)sign_extend(imm, 21);
        return true;
    }
    return false;
}

/* How an instruction touches memory, as far as the counts need to know. */
enum access_kind {
    ACCESS_UNKNOWN, /* not decoded: may read, write or neither */
    ACCESS_READS,   /* reads only, at addresses known when it runs */
    ACCESS_WRITES,  /* writes only: stores are not classified */
    ACCESS_LITERAL, /* one read at an address fixed by the instruction (PC-relative) */
    ACCESS_STACK,   /* `words` reads relative to SP, which points into RAM */
};

struct access {
    enum access_kind kind;
    uint32_t address; /* ACCESS_LITERAL */
    uint32_t words;   /* ACCESS_STACK */
};

static struct access access_16(uint16_t hw, uint32_t pc)
{
    struct access a = { ACCESS_UNKNOWN, 0, 0 };
    bool load_bit = (hw >> 11) & 1;
    if ((hw & 0xF800) == 0x4800) { /* LDR (literal) */
        a.kind = ACCESS_LITERAL;
        a.address = ((pc + 4) & ~3u) + (hw & 0xFFu) * 4;
    } else if ((hw & 0xF000) == 0x5000) { /* register offset: STR, STRH, STRB, then loads */
        a.kind = ((hw >> 9) & 7) >= 3 ? ACCESS_READS : ACCESS_WRITES;
    } else if ((hw & 0xE000) == 0x6000 || (hw & 0xF000) == 0x8000 || (hw & 0xF000) == 0xC000) {
        /* LDR/STR, LDRB/STRB, LDRH/STRH immediate; LDM/STM */
        a.kind = load_bit ? ACCESS_READS : ACCESS_WRITES;
    } else if ((hw & 0xF000) == 0x9000) { /* LDR/STR [SP, #imm] */
        a.kind = load_bit ? ACCESS_STACK : ACCESS_WRITES;
        a.words = 1;
    } else if ((hw & 0xFE00) == 0xBC00) { /* POP */
        a.kind = ACCESS_STACK;
        a.words = (uint32_t)__builtin_popcount(hw & 0x1FFu);
    } else if ((hw & 0xFE00) == 0xB400) { /* PUSH */
        a.kind = ACCESS_WRITES;
    }
    return a;
}

static struct access access_32(uint16_t hw1, uint16_t hw2, uint32_t pc)
{
    struct access a = { ACCESS_UNKNOWN, 0, 0 };
    bool load_bit = (hw1 >> 4) & 1;
    unsigned base = hw1 & 0xFu, target = hw2 >> 12;
    if ((hw1 & 0xFE00) == 0xF800) { /* load/store single item */
        bool word = ((hw1 >> 5) & 3) == 2;
        bool hint = target == 15 && !word; /* PLD, PLI and friends read nothing */
        if (!load_bit) {
            a.kind = ACCESS_WRITES;
        } else if (base == 15 && !hint) {
            uint32_t offset = hw2 & 0xFFFu;
            a.kind = ACCESS_LITERAL;
            a.address = ((pc + 4) & ~3u) + ((hw1 & 0x80) ? offset : -offset);
        } else if (base == 13 && !hint) {
            a.kind = ACCESS_STACK;
            a.words = 1;
        } else {
            a.kind = ACCESS_READS;
        }
    } else if ((hw1 & 0xFE00) == 0xE800) { /* LDM/STM, LDRD/STRD, exclusives, TBB/TBH */
        a.kind = load_bit ? ACCESS_READS : ACCESS_WRITES;
    } else if ((hw1 & 0xFE00) == 0xEC00 && ((hw2 >> 9) & 7) == 5) { /* VLDR/VSTR/VLDM/VSTM */
        a.kind = load_bit ? ACCESS_READS : ACCESS_WRITES;
    }
    return a;
}

static struct access memory_access(const uint8_t *p, size_t size, uint32_t pc)
{
    return size == 2 ? access_16(halfword(p), pc) : access_32(halfword(p), halfword(p + 2), pc);
}

/* WFI or WFE, 16- or 32-bit: the core may sleep until an interrupt. */
static const char *wait_instruction(const uint8_t *p, size_t size)
{
    uint16_t hw1 = halfword(p);
    if (size == 2) {
        return hw1 == 0xBF30 ? "WFI" : hw1 == 0xBF20 ? "WFE" : NULL;
    }
    uint16_t hw2 = halfword(p + 2);
    if (hw1 == 0xF3AF) {
        return hw2 == 0x8003 ? "WFI" : hw2 == 0x8002 ? "WFE" : NULL;
    }
    return NULL;
}

/* An unconditional B to its own address (`b .`, 16- or 32-bit): the core spins there until
 * an interrupt takes it away. */
static bool is_branch_to_self(const uint8_t *p, size_t size)
{
    uint16_t hw1 = halfword(p);
    if (size == 2) {
        return hw1 == 0xE7FE; /* B (T2) with offset -4 from PC+4 */
    }
    uint16_t hw2 = halfword(p + 2);
    /* B.W (T4) with offset -4: S=1, imm10 all ones, J1=J2=1, imm11 = 0x7FE */
    return hw1 == 0xF7FF && hw2 == 0xBFFE;
}

/* LDRD (immediate or literal), which reads two words. */
static bool is_load_pair(const uint8_t *p, size_t size)
{
    return size == 4 && (halfword(p) & 0xFE50) == 0xE850;
}

/* Instructions left in the IT block that started in this block (0: none). */
static int it_block_after(const uint8_t *p, size_t size)
{
    uint16_t hw = halfword(p);
    if (size == 2 && (hw & 0xFF00) == 0xBF00 && (hw & 0xF) != 0) {
        return 4 - __builtin_ctz(hw & 0xFu);
    }
    return 0;
}

/* ---- records ---- */

static struct block *block_for(uint32_t address, const struct qemu_plugin_tb *tb, size_t n)
{
    uint64_t key = (uint64_t)address << 16 | n;
    struct block *b = table_get(&S.block_by_key, key);
    if (b) {
        return b;
    }
    b = must(calloc(1, sizeof *b));
    b->id = (uint32_t)S.blocks.length;
    b->address = address;
    b->n_insns = (uint32_t)n;
    b->executions = new_counter();
#if EMU_QEMU_PLUGIN_API >= 2
    b->completions = new_counter();
#endif
    list_push(&S.blocks, b);
    table_put(&S.block_by_key, key, b);
    fprintf(S.out, "block %" PRIu32, b->id);
    for (size_t i = 0; i < n; i++) {
        fprintf(S.out, " %" PRIu64, qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i)));
    }
    fputc('\n', S.out);
#if EMU_QEMU_PLUGIN_API >= 2
    b->addresses = must(calloc(n, sizeof *b->addresses));
    for (size_t i = 0; i < n; i++) {
        b->addresses[i] = (uint32_t)qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
    }
#endif
    return b;
}

static struct branch *branch_for(uint32_t address, uint32_t target)
{
    struct branch *br = table_get(&S.branch_by_address, address);
    if (!br) {
        br = must(calloc(1, sizeof *br));
        br->address = address;
        br->target = target;
        list_push(&S.branches, br);
        table_put(&S.branch_by_address, address, br);
    }
    return br;
}

#if EMU_QEMU_PLUGIN_API >= 2
static struct cut *cut_for(const struct block *b, uint32_t address)
{
    uint64_t key = (uint64_t)b->id << 32 | address;
    struct cut *c = table_get(&S.cut_by_key, key);
    if (!c) {
        c = must(calloc(1, sizeof *c));
        c->block_id = b->id;
        c->address = address;
        list_push(&S.cuts, c);
        table_put(&S.cut_by_key, key, c);
    }
    return c;
}
#endif

static struct load_site *load_site_for(uint32_t address)
{
    struct load_site *site = table_get(&S.load_by_address, address);
    if (!site) {
        site = must(calloc(1, sizeof *site));
        site->address = address;
        for (int r = 0; r < 3; r++) {
            site->reads[r] = new_counter();
        }
        site->fills = new_counter();
        list_push(&S.loads, site);
        table_put(&S.load_by_address, address, site);
    }
    return site;
}

/* ---- segments ---- */

/* Writes what changed since the last boundary (when write is set) and makes
 * the current values the new baseline. The current execution of block `held`
 * (a marker's) belongs to the segment that opens, so it is left out. */
static void close_segment(bool write, const struct block *held)
{
    if (write) {
        fputs("segment\n", S.out);
    }
    for (size_t i = 0; i < S.blocks.length; i++) {
        struct block *b = S.blocks.items[i];
        uint64_t executions = counter_value(b->executions) - (b == held);
        if (write && executions != b->executions_before) {
            fprintf(S.out, "x %" PRIu32 " %" PRIu64 "\n", b->id, executions - b->executions_before);
        }
        b->executions_before = executions;
    }
    for (size_t i = 0; i < S.branches.length; i++) {
        struct branch *br = S.branches.items[i];
        if (write && br->taken != br->taken_before) {
            fprintf(S.out, "t %" PRIu32 " %" PRIu64 "\n", br->address, br->taken - br->taken_before);
        }
        br->taken_before = br->taken;
    }
    for (size_t i = 0; i < S.loads.length; i++) {
        struct load_site *site = S.loads.items[i];
        uint64_t d[3];
        for (int r = 0; r < 3; r++) {
            uint64_t reads = counter_value(site->reads[r]);
            d[r] = reads - site->reads_before[r];
            site->reads_before[r] = reads;
        }
        uint64_t fills = counter_value(site->fills);
        uint64_t d_fills = fills - site->fills_before;
        site->fills_before = fills;
        if (write && (d[FLASH] | d[RAM] | d[OTHER])) {
            fprintf(S.out, "l %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", site->address,
                    d[FLASH], d[RAM], d[OTHER], d_fills);
        }
    }
    for (size_t i = 0; i < S.cuts.length; i++) {
        struct cut *c = S.cuts.items[i];
        if (write && c->count != c->count_before) {
            fprintf(S.out, "c %" PRIu32 " %" PRIu32 " %" PRIu64 "\n", c->block_id, c->address,
                    c->count - c->count_before);
        }
        c->count_before = c->count;
    }
}

static void finish(const char *kind)
{
    if (S.finished) {
        return;
    }
    S.finished = true;
    if (S.window == WINDOW_OPEN) {
        close_segment(true, NULL);
    }
    uint32_t pc = strcmp(kind, "wait") == 0 ? S.wait_pc : S.last ? S.last->address : 0;
    fprintf(S.out, "end %s %" PRIu64 " %" PRIu32 "%s%s\n", kind, counter_value(S.total) - S.not_run, pc,
            S.wait_name ? " " : "", S.wait_name ? S.wait_name : "");
    fclose(S.out);
}

/* ---- run-time callbacks ---- */

/* Runs as each block starts: settles the previous block's branch, checks the budget. */
static void on_block(unsigned int vcpu, void *userdata)
{
    struct block *b = userdata;
#if EMU_QEMU_PLUGIN_API >= 2
    struct block *prev = S.last;
    if (prev && b->address > prev->address && b->address <= prev->last_address) {
        /* Entering the previous block's middle: a loop, or the rest of a cut block. */
        uint64_t unfinished = counter_value_on(prev->executions, vcpu) -
                              counter_value_on(prev->completions, vcpu);
        if (unfinished > prev->cuts_seen) {
            prev->cuts_seen = unfinished;
            cut_for(prev, b->address)->count++;
            for (uint32_t i = 0; i < prev->n_insns; i++) {
                S.not_run += prev->addresses[i] >= b->address;
            }
            S.pending = NULL; /* its branch never ran */
        }
    }
#endif
    if (S.pending) {
        S.pending->taken += (b->address == S.pending->target);
    }
    S.pending = b->branch;
    S.last = b;
    /* Per vCPU: the Cortex-M machines have one, so this is the run's count. From API 2
     * on reading it is a call into QEMU, so it is looked at every 256th block. */
#if EMU_QEMU_PLUGIN_API >= 2
    if ((++S.blocks_run & 255) == 0 && counter_value_on(S.total, vcpu) - S.not_run > S.budget) {
#else
    if (counter_value_on(S.total, vcpu) > S.budget) {
#endif
        /* An endless loop never reaches QEMU's own exit, so leave from here. */
        finish("budget");
        _exit(0);
    }
}

static void on_marker(unsigned int vcpu, void *userdata)
{
    struct marker *m = userdata;
    (void)vcpu;
    /* The marker's block has already been counted for this execution; it
     * belongs to the segment that the marker opens, not the one it closes. */
    if (m->kind == MARK_START && S.window == WINDOW_BEFORE) {
        close_segment(false, m->block);
        S.window = WINDOW_OPEN;
    } else if (m->kind == MARK_LAYER && S.window == WINDOW_OPEN) {
        close_segment(true, m->block);
    } else if (m->kind == MARK_END && S.window == WINDOW_OPEN) {
        close_segment(true, m->block);
        S.window = WINDOW_CLOSED;
    }
}

struct wait_site {
    uint32_t address;
    const char *name;
};

/* A WFI or WFE about to execute, with no interrupt that could end the sleep. */
static void on_wait(unsigned int vcpu, void *userdata)
{
    struct wait_site *w = userdata;
    (void)vcpu;
    S.wait_pc = w->address;
    S.wait_name = w->name;
    finish("wait");
    _exit(0);
}

static enum region region_of(uint64_t address)
{
    if (address - S.flash_lo < (uint64_t)(S.flash_hi - S.flash_lo)) {
        return FLASH;
    }
    if (address - S.weights_lo < (uint64_t)(S.weights_hi - S.weights_lo)) {
        return FLASH;
    }
    if (address - S.ram_lo < (uint64_t)(S.ram_hi - S.ram_lo)) {
        return RAM;
    }
    return OTHER;
}

/* Looks the line holding `address` up in the flash cache model: true on a miss, which
 * fills the line into its set's most recently used way, dropping the least recently used.
 * An access that straddles two lines (unaligned) looks up its first line only. */
static bool flash_cache_misses(uint64_t address)
{
    uint32_t line = (uint32_t)(address >> Cache.line_shift);
    uint32_t *set = &Cache.lines[(line & (Cache.sets - 1)) * Cache.ways];
    uint32_t tag = line + 1;
    uint32_t way = 0;
    while (way < Cache.ways && set[way] != tag) {
        way++;
    }
    bool miss = way == Cache.ways;
    for (uint32_t i = miss ? Cache.ways - 1 : way; i > 0; i--) {
        set[i] = set[i - 1];
    }
    set[0] = tag;
    return miss;
}

/* For instructions decoded as loads: every access is a read. */
static void on_read(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t address, void *userdata)
{
    struct load_site *site = userdata;
    uint64_t words = site->pair && qemu_plugin_mem_size_shift(info) == 3 ? 2 : 1;
    enum region region = region_of(address);
    counter_add(site->reads[region], vcpu, words);
    if (region == FLASH && Cache.lines && !site->literal && flash_cache_misses(address)) {
        counter_add(site->fills, vcpu, 1);
    }
}

/* For everything else; asking QEMU about each access costs as much as the callback. */
static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t address, void *userdata)
{
    if (!qemu_plugin_mem_is_store(info)) {
        on_read(vcpu, info, address, userdata);
    }
}

/* ---- translation ---- */

static void watch_marker(struct qemu_plugin_insn *insn, enum marker_kind kind, struct block *b)
{
    struct marker *m = must(calloc(1, sizeof *m));
    m->kind = kind;
    m->block = b;
    qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, m);
}

/* Counts an instruction's reads as cheaply as its decoding allows: reads whose region
 * is known in advance are counted inline, the rest by a callback per access. */
static void count_reads(struct qemu_plugin_insn *insn, struct access a, uint32_t address,
                        bool conditional, bool pair)
{
    if (a.kind == ACCESS_WRITES) {
        return;
    }
    struct load_site *site = load_site_for(address);
    site->pair = pair;
    site->literal = a.kind == ACCESS_LITERAL;
    if (a.kind == ACCESS_LITERAL && !conditional) {
        add_per_insn(insn, site->reads[region_of(a.address)], 1);
    } else if (a.kind == ACCESS_STACK && !conditional) {
        add_per_insn(insn, site->reads[RAM], a.words);
    } else {
        /* Registered for reads and writes: in QEMU 7.2 a read-only registration
         * misses reads. A skipped IT-block instruction makes no access at all. */
        qemu_plugin_register_vcpu_mem_cb(insn, a.kind == ACCESS_UNKNOWN ? on_access : on_read,
                                         QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, site);
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    struct block *b = block_for((uint32_t)qemu_plugin_tb_vaddr(tb), tb, n);
    int it_remaining = 0;

    add_per_block(tb, b->executions, 1);
    add_per_block(tb, S.total, n);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);

    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint32_t address = (uint32_t)qemu_plugin_insn_vaddr(insn);
        size_t size = qemu_plugin_insn_size(insn);
#if EMU_QEMU_PLUGIN_API >= 3
        uint8_t data[4] = { 0 }; /* Thumb instructions are 2 or 4 bytes */
        qemu_plugin_insn_data(insn, data, sizeof data);
        size = size < sizeof data ? size : sizeof data;
#else
        const uint8_t *data = qemu_plugin_insn_data(insn);
#endif
        uint32_t target;

        if (address == S.start) {
            watch_marker(insn, MARK_START, b);
        }
        if (address == S.layer) {
            watch_marker(insn, MARK_LAYER, b);
        }
        if (address == S.end) {
            watch_marker(insn, MARK_END, b);
        }
        /* QEMU ends a block at every branch, so only the last one can be conditional. */
        if (i == n - 1 && is_conditional_branch(data, size, address, &target)) {
            b->branch = branch_for(address, target);
        }
        bool conditional = it_remaining > 0;
        const char *wait = !S.stop_at_wait ? NULL
                           : is_branch_to_self(data, size) && !conditional ? "branch-to-self"
                           : wait_instruction(data, size);
        if (wait) {
            struct wait_site *w = must(calloc(1, sizeof *w));
            w->address = address;
            w->name = wait;
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_wait, QEMU_PLUGIN_CB_NO_REGS, w);
        }
        it_remaining = conditional ? it_remaining - 1 : it_block_after(data, size);
        count_reads(insn, memory_access(data, size, address), address, conditional,
                    is_load_pair(data, size));
#if EMU_QEMU_PLUGIN_API >= 2
        if (i == n - 1) {
            b->last_address = address;
            add_per_insn(insn, b->completions, 1);
        }
#endif
    }
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    finish("exit");
}

/* ---- arguments ---- */

static bool parse_number(const char *text, uint64_t *value)
{
    char *rest;
    *value = strtoull(text, &rest, 0);
    return *text && !*rest;
}

static bool parse_range(const char *text, uint32_t *lo, uint32_t *hi)
{
    char *rest;
    uint64_t origin = strtoull(text, &rest, 0);
    if (*rest != ':') {
        return false;
    }
    uint64_t size;
    if (!parse_number(rest + 1, &size)) {
        return false;
    }
    *lo = (uint32_t)origin;
    *hi = (uint32_t)(origin + size);
    return true;
}

static bool is_power_of_two(uint64_t n)
{
    return n && !(n & (n - 1));
}

/* LINE_BYTES:SETS:WAYS, each a power of two (at most 4096 bytes, 65536 sets, 64 ways). */
static bool parse_cache(const char *text)
{
    uint64_t line, sets, ways;
    char *rest;
    line = strtoull(text, &rest, 0);
    if (*rest != ':') {
        return false;
    }
    sets = strtoull(rest + 1, &rest, 0);
    if (*rest != ':' || !parse_number(rest + 1, &ways)) {
        return false;
    }
    if (!is_power_of_two(line) || line > 4096 || !is_power_of_two(sets) || sets > 65536 ||
        !is_power_of_two(ways) || ways > 64) {
        return false;
    }
    Cache.line_shift = (uint32_t)__builtin_ctzll(line);
    Cache.sets = (uint32_t)sets;
    Cache.ways = (uint32_t)ways;
    free(Cache.lines);
    Cache.lines = must(calloc(sets * ways, sizeof *Cache.lines));
    return true;
}

static bool parse_argument(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        return false;
    }
    size_t key_length = (size_t)(eq - arg);
    const char *value = eq + 1;
    uint64_t number;
#define KEY(name) (key_length == strlen(name) && strncmp(arg, name, key_length) == 0)
    if (KEY("out")) {
        S.out = fopen(value, "w");
        return S.out != NULL;
    }
    if (KEY("wait")) {
        S.stop_at_wait = strcmp(value, "stop") == 0;
        return S.stop_at_wait || strcmp(value, "sleep") == 0;
    }
    if (KEY("flash")) {
        return parse_range(value, &S.flash_lo, &S.flash_hi);
    }
    if (KEY("weights")) {
        return parse_range(value, &S.weights_lo, &S.weights_hi);
    }
    if (KEY("ram")) {
        return parse_range(value, &S.ram_lo, &S.ram_hi);
    }
    if (KEY("flashcache")) {
        return parse_cache(value);
    }
    if (!parse_number(value, &number)) {
        return false;
    }
    if (KEY("budget")) {
        S.budget = number;
    } else if (KEY("start")) {
        S.start = (int64_t)number;
    } else if (KEY("end")) {
        S.end = (int64_t)number;
    } else if (KEY("layer")) {
        S.layer = (int64_t)number;
    } else {
        return false;
    }
    return true;
#undef KEY
}

EMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                          char **argv)
{
    (void)info;
    S.budget = UINT64_MAX;
    for (int i = 0; i < argc; i++) {
        if (!parse_argument(argv[i])) {
            fprintf(stderr, "emu_trace: bad argument '%s'\n", argv[i]);
            return -1;
        }
    }
    if (!S.out) {
        fprintf(stderr, "emu_trace: no out=PATH given\n");
        return -1;
    }
    S.window = S.start < 0 ? WINDOW_OPEN : WINDOW_BEFORE;
    S.total = new_counter();
    fputs("emu-trace 2\n", S.out);
    if (Cache.lines) {
        fprintf(S.out, "flashcache %u %" PRIu32 " %" PRIu32 "\n", 1u << Cache.line_shift, Cache.sets, Cache.ways);
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
