/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager's tracepoints, in the same system as the data plane's
 * (events/vhost_sidecore/ in tracefs).
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vhost_sidecore

#if !defined(VSC_MGR_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define VSC_MGR_TRACE_H

#include <linux/tracepoint.h>

/* The manager's reasons (enum vsc_pol_why in policy.h). */
#define vsc_print_why(why)						\
	__print_flags(why, "|",						\
		      { 1 << 1, "promote" }, { 1 << 2, "demote" },	\
		      { 1 << 3, "grow" }, { 1 << 4, "shrink" },		\
		      { 1 << 5, "rebalance" }, { 1 << 6, "revert" },	\
		      { 1 << 7, "keep" }, { 1 << 8, "probe" })

/*
 * The manager's samples, one tick's worth before its mgr_tick: the
 * counter trace tools/simulate replays (record with trace-cmd or
 * tracefs, see Documentation/manager.rst).
 */
TRACE_EVENT(mgr_vq_sample,
	TP_PROTO(int dev, unsigned int vq, int where, u64 packets, u64 bytes,
		 u64 kicks, u64 run_ns, u64 handoffs),
	TP_ARGS(dev, vq, where, packets, bytes, kicks, run_ns, handoffs),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(unsigned int, vq)
		__field(int, where)
		__field(u64, packets)
		__field(u64, bytes)
		__field(u64, kicks)
		__field(u64, run_ns)
		__field(u64, handoffs)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->vq = vq;
		__entry->where = where;
		__entry->packets = packets;
		__entry->bytes = bytes;
		__entry->kicks = kicks;
		__entry->run_ns = run_ns;
		__entry->handoffs = handoffs;
	),
	TP_printk("dev=%d vq=%u where=%d packets=%llu bytes=%llu kicks=%llu run_ns=%llu handoffs=%llu",
		  __entry->dev, __entry->vq, __entry->where, __entry->packets,
		  __entry->bytes, __entry->kicks, __entry->run_ns,
		  __entry->handoffs)
);

TRACE_EVENT(mgr_core_sample,
	TP_PROTO(int cpu, bool usable, bool running, u64 busy_ns, u64 idle_ns),
	TP_ARGS(cpu, usable, running, busy_ns, idle_ns),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(bool, usable)
		__field(bool, running)
		__field(u64, busy_ns)
		__field(u64, idle_ns)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->usable = usable;
		__entry->running = running;
		__entry->busy_ns = busy_ns;
		__entry->idle_ns = idle_ns;
	),
	TP_printk("cpu=%d usable=%d running=%d busy_ns=%llu idle_ns=%llu",
		  __entry->cpu, __entry->usable, __entry->running,
		  __entry->busy_ns, __entry->idle_ns)
);

/* One look: its clock, the I/O threads' CPU since the last, the decision. */
TRACE_EVENT(mgr_tick,
	TP_PROTO(u64 now_ns, u64 cost_ns, u32 why, unsigned int moves,
		 unsigned int cores, s64 score),
	TP_ARGS(now_ns, cost_ns, why, moves, cores, score),
	TP_STRUCT__entry(
		__field(u64, now_ns)
		__field(u64, cost_ns)
		__field(u32, why)
		__field(unsigned int, moves)
		__field(unsigned int, cores)
		__field(s64, score)
	),
	TP_fast_assign(
		__entry->now_ns = now_ns;
		__entry->cost_ns = cost_ns;
		__entry->why = why;
		__entry->moves = moves;
		__entry->cores = cores;
		__entry->score = score;
	),
	TP_printk("now_ns=%llu cost_ns=%llu why=%s moves=%u cores=%u score=%lld",
		  __entry->now_ns, __entry->cost_ns,
		  vsc_print_why(__entry->why),
		  __entry->moves, __entry->cores, __entry->score)
);

/* A tick that changed something, once it is carried out. */
TRACE_EVENT(mgr_decision,
	TP_PROTO(u32 why, unsigned int moves, unsigned int cores, s64 before,
		 s64 after, u64 ns),
	TP_ARGS(why, moves, cores, before, after, ns),
	TP_STRUCT__entry(
		__field(u32, why)
		__field(unsigned int, moves)
		__field(unsigned int, cores)
		__field(s64, before)
		__field(s64, after)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->why = why;
		__entry->moves = moves;
		__entry->cores = cores;
		__entry->before = before;
		__entry->after = after;
		__entry->ns = ns;
	),
	TP_printk("why=%s moves=%u cores=%u trial_before=%lld trial_after=%lld ns=%llu",
		  vsc_print_why(__entry->why),
		  __entry->moves, __entry->cores, __entry->before,
		  __entry->after, __entry->ns)
);

#endif /* VSC_MGR_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
