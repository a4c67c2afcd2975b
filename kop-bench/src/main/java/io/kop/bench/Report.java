package io.kop.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The bench's table: medians per workload and system, and ratios taken within each run. */
final class Report {
    private Report() {
    }

    record Result(int run, String workload, String system, double recordsPerSec, double mibPerSec, double p50,
                  double p99, double cpuMsPerMib, double cpuNoJitMsPerMib, long peakRssMib) {
    }

    static void print(List<Result> results, int records, Map<String, String> systems, String title) {
        System.out.printf(Locale.ROOT, "%nKoP vs Apache Kafka 4.4, %d records per produce run, one broker at a time on this "
                + "machine (%s)%n", records, title);
        systems.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-10s %s%n", k, v));
        Map<String, Map<String, List<Result>>> byWorkload = new LinkedHashMap<>();
        for (Result r : results) {
            byWorkload.computeIfAbsent(r.workload(), w -> new LinkedHashMap<>())
                    .computeIfAbsent(r.system(), x -> new ArrayList<>()).add(r);
        }
        System.out.printf(Locale.ROOT, "%n%-36s %-10s %11s %8s %8s %8s %10s %8s %8s%n", "workload (medians)", "system",
                "records/s", "MiB/s", "p50 ms", "p99 ms", "CPU ms/MiB", "w/o JIT", "RSS MiB");
        byWorkload.forEach((w, bySystem) -> bySystem.forEach((system, rs) -> System.out.printf(Locale.ROOT,
                "%-36s %-10s %11.0f %8.1f %8s %8s %10.1f %8.1f %8d%n", w, system, median(rs, Result::recordsPerSec),
                median(rs, Result::mibPerSec), fmt(median(rs, Result::p50)), fmt(median(rs, Result::p99)),
                median(rs, Result::cpuMsPerMib), median(rs, Result::cpuNoJitMsPerMib),
                rs.stream().mapToLong(Result::peakRssMib).max().orElse(-1))));
        System.out.printf(Locale.ROOT, "%nRatios against Kafka, taken within each run, then the median "
                + "(throughput: higher is better; latency, CPU: lower is better)%n");
        System.out.printf(Locale.ROOT, "%-36s %-10s %8s %8s %8s %8s %8s%n", "workload", "system", "MiB/s", "p50", "p99",
                "CPU/MiB", "w/o JIT");
        byWorkload.forEach((w, bySystem) -> bySystem.forEach((system, rs) -> {
            // over SASL_SSL, KoP is measured against Kafka over SASL_SSL
            List<Result> base = bySystem.get(system.endsWith("-sasl") ? "kafka-sasl" : "kafka");
            if (system.startsWith("kafka") || base == null) {
                return;
            }
            System.out.printf(Locale.ROOT, "%-36s %-10s %8s %8s %8s %8s %8s%n", w, system,
                    ratio(rs, base, Result::mibPerSec), ratio(rs, base, Result::p50), ratio(rs, base, Result::p99),
                    ratio(rs, base, Result::cpuMsPerMib), ratio(rs, base, Result::cpuNoJitMsPerMib));
        }));
        System.out.printf(Locale.ROOT, "%nKoP against itself: kop/kop-kf (pulsar format vs kafka format) and "
                + "kop/pulsar (Kafka clients vs Pulsar clients on the same broker), MiB/s and CPU/MiB%n");
        byWorkload.forEach((w, bySystem) -> {
            List<Result> kop = bySystem.get("kop");
            if (kop == null) {
                return;
            }
            for (String other : List.of("kop-kf", "pulsar")) {
                List<Result> o = bySystem.get(other);
                if (o != null) {
                    System.out.printf(Locale.ROOT, "%-36s kop/%-10s %8s %8s%n", w, other,
                            ratio(kop, o, Result::mibPerSec), ratio(kop, o, Result::cpuMsPerMib));
                }
            }
        });
        printSecurityCost(byWorkload);
    }

    /** What SASL_SSL costs each broker: its SASL_SSL run against its PLAINTEXT run of the same round. */
    private static void printSecurityCost(Map<String, Map<String, List<Result>>> byWorkload) {
        System.out.printf(Locale.ROOT, "%nSASL_SSL against PLAINTEXT (kop-sasl/kop, kafka-sasl/kafka), MiB/s, p50 "
                + "and CPU/MiB%n");
        byWorkload.forEach((w, bySystem) -> {
            for (String plain : List.of("kop", "kafka")) {
                List<Result> secure = bySystem.get(plain + "-sasl");
                List<Result> base = bySystem.get(plain);
                if (secure != null && base != null) {
                    System.out.printf(Locale.ROOT, "%-36s %-16s %8s %8s %8s%n", w, plain + "-sasl/" + plain,
                            ratio(secure, base, Result::mibPerSec), ratio(secure, base, Result::p50),
                            ratio(secure, base, Result::cpuMsPerMib));
                }
            }
        });
    }

    private static double median(List<Result> rs, ToDoubleFunction<Result> f) {
        return median(rs.stream().mapToDouble(f).toArray());
    }

    private static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The median over runs of a / b, each pair from the same run. */
    private static String ratio(List<Result> a, List<Result> b, ToDoubleFunction<Result> f) {
        List<Double> ratios = new ArrayList<>();
        for (Result x : a) {
            for (Result y : b) {
                double d = f.applyAsDouble(y);
                if (x.run() == y.run() && d != 0) {
                    ratios.add(f.applyAsDouble(x) / d);
                }
            }
        }
        double m = median(ratios.stream().mapToDouble(Double::doubleValue).toArray());
        return Double.isNaN(m) ? "-" : String.format(Locale.ROOT, "%.2f", m);
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }
}
