/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every parameter of the host model (tools/simulate/model.c), each with
 * where its value comes from. Published figures are from
 * ../shared/PERF_FACTS.md (section numbers below); "assumed" marks a
 * value nobody has measured for us yet, to be replaced by a measurement.
 * Costs are nanoseconds of one CPU at full speed.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef VSC_MODEL_HOST_H
#define VSC_MODEL_HOST_H

struct host_params {
	/*
	 * The vhost handler, per buffer moved. tx: 3.9 Mpps of guest TX on
	 * one vhost thread, 256 ns/packet (Linux 4afb52c2af44, Broadwell
	 * 2.6 GHz; PERF_FACTS 4). rx: 1.5 Mpps through tun, 670 ns/packet
	 * (tun skb_array commit; PERF_FACTS 4).
	 */
	double tx_pkt_ns, rx_pkt_ns;
	/*
	 * Per byte copied: 37.6 Gbit/s host-to-guest TCP with the vhost
	 * thread at 100%, at most 0.21 ns/byte all in (Linux 441abde4cd84;
	 * PERF_FACTS 4); half of it is taken as the copy alone (assumed).
	 */
	double byte_ns;
	/*
	 * A guest exit per kick, on the vCPU: ~2,000 cycles direct at
	 * 2.93 GHz (SplitX, PERF_FACTS 1) = 680 ns, twice that with the
	 * indirect cost (SplitX: "can be an order of magnitude higher";
	 * factor 2 assumed).
	 */
	double exit_ns;
	/*
	 * Waking the on-demand worker per kick, on the host: "a few
	 * micro-seconds" for a trip through the scheduler
	 * (Documentation/virt/kvm/halt-polling.rst, PERF_FACTS 3).
	 */
	double wake_ns;
	/*
	 * An interrupt into the guest per signal: on the vCPU (injection,
	 * handler, EOI: assumed, PERF_FACTS 2 has no cycle figure) and on
	 * the host thread that signals (irqfd from atomic context: assumed).
	 */
	double irq_guest_ns, irq_host_ns;
	/*
	 * The guest's own stack per packet and per byte (its copy to the
	 * application), on its vCPU (assumed: the host's figures).
	 */
	double guest_pkt_ns, guest_byte_ns;
	/* One sidecore poll of one vq that finds nothing (assumed). */
	double poll_ns;
	/*
	 * Moving a vq: the time it is not served. Median of the
	 * vhost_sidecore:vq_move tracepoint in make bench's workloads part
	 * (tens of microseconds under TCG; 50 us taken).
	 */
	double move_ns;
	/*
	 * The manager's own CPU per tick and per vq: make bench measured
	 * 0.85-2.4 ms per second at a 50 ms interval under TCG, about a
	 * hundred times slower than hardware (evaluation.rst), so ~1 us per
	 * tick on hardware; per vq assumed.
	 */
	double mgr_tick_ns, mgr_vq_ns;
	/*
	 * Two busy SMT siblings each run at this share of a core alone
	 * (assumed from the usual 1.2-1.3x SMT gain).
	 */
	double smt_share;
	/*
	 * These machines: two CPUs that share one core's throughput. A
	 * fixed busy loop ran at a median 2.08 G additions/s on each CPU
	 * beside another, against 4.05-4.28 alone (issue 17, bare host,
	 * two loops pinned with taskset): 0.5 each.
	 */
	double shared_share;
	/*
	 * What a sidecore spinning with nothing to do takes from its
	 * sibling, as a share of a busy thread: selftests/sibling measured
	 * a loop beside an idle polling sidecore at 0.96 of the loop beside
	 * a parked one (tools/bench/sibling, evaluation.rst) on CPUs that
	 * were independent that day; on a shared core a spin takes its half
	 * whatever it does (1.0).
	 */
	double idle_spin_weight;
};

#define HOST_DEFAULTS {							\
	.tx_pkt_ns = 256, .rx_pkt_ns = 670, .byte_ns = 0.1,		\
	.exit_ns = 1360, .wake_ns = 3000,				\
	.irq_guest_ns = 2000, .irq_host_ns = 300,			\
	.guest_pkt_ns = 800, .guest_byte_ns = 0.1, .poll_ns = 50, .move_ns = 50000,		\
	.mgr_tick_ns = 1000, .mgr_vq_ns = 50,				\
	.smt_share = 0.62, .shared_share = 0.5,				\
	.idle_spin_weight = 0.2 }

#endif /* VSC_MODEL_HOST_H */
