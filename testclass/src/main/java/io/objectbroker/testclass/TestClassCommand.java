package io.objectbroker.testclass;

import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.Uri;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.ImageHasSnapshotsException;
import io.objectbroker.provisioning.ImageInUseException;
import io.objectbroker.provisioning.ImageInfo;
import io.objectbroker.provisioning.ImageNotFoundException;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.SnapshotExistsException;
import io.objectbroker.provisioning.SnapshotInUseException;
import io.objectbroker.provisioning.SnapshotNotFoundException;
import io.objectbroker.testclass.iscsi.Initiator;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code testclass}: checks a live deployment end to end, through the name server and the
 * broker, as the original testclass.py checked MainServer: each check prints PASS or FAIL with
 * the reason, then a summary line. With an iSCSI initiator installed (qemu-img with the
 * iscsi driver: Debian's qemu-block-extra) it also reads and writes the nodes' LUNs. It creates
 * images and nodes named {@code testclass-<time>-*} and removes all of them at the end, also
 * when a check failed; it exits 1 when a check failed or something could not be removed.
 */
@Command(name = "testclass", mixinStandardHelpOptions = true,
    versionProvider = io.objectbroker.internal.cli.Version.class,
    description = "Checks a live provisioning service end to end and reports each check.",
    footer = {"", "Environment:",
        "  OB_NS   the name server's host:port, or several, comma-separated, tried in turn",
        "          (default 127.0.0.1:9090)"})
public final class TestClassCommand implements Callable<Integer> {

  /** The size of the image a run creates: 16 MiB. */
  static final long IMAGE_BYTES = 16 << 20;

  @Option(names = "--ns", paramLabel = "HOST:PORT[,HOST:PORT...]",
      defaultValue = "${env:OB_NS:-127.0.0.1:9090}",
      description = "The name server, or several, tried in turn (default: ${DEFAULT-VALUE}).")
  String ns;

  @Option(names = "--name", defaultValue = ProvisioningService.DEFAULT_NAME,
      description = "Name of the service (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s",
      converter = Cli.DurationConverter.class,
      description = "Longest wait for each answer (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--portal", paramLabel = "HOST:PORT", defaultValue = "${env:OB_ISCSI_PORTAL}",
      description = "The iSCSI portal that serves the exports (default: port 3260 on the"
          + " service's host).")
  String portal;

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.ClientSecurity security =
      new io.objectbroker.internal.cli.ClientSecurity();

  @Option(names = "--verbose", description = "Print stack traces of failed checks.")
  boolean verbose;

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.Output output = new io.objectbroker.internal.cli.Output();

  private final PrintStream out;
  private int passed;
  private int failed;
  /** Each check's outcome, for --output json: check, result (pass, fail, skip), message. */
  private final List<Map<String, String>> results = new ArrayList<>();

  public TestClassCommand(PrintStream out) {
    this.out = out;
  }

  interface Check {
    void run() throws Exception;
  }

  @Override
  public Integer call() {
    String run = "testclass-" + System.currentTimeMillis();
    String image = run + "-img";
    String empty = run + "-empty";
    String node = run + "-node";
    String other = run + "-node2";
    List<Address> nameServers = answeringFirst(Cli.nameServers("--ns", ns));
    boolean cleanedUp;
    try (Broker broker = Broker.builder().nameServers(nameServers).callTimeout(timeout)
        .tls(security.tls()).credentials(security.credentials()).build()) {
      ProvisioningService p = broker.proxy(ProvisioningService.class, name);
      try {
        runChecks(broker, p, image, empty, node, other);
      } finally {
        cleanedUp = cleanUp(p, List.of(node, other), List.of(image, empty));
      }
    }
    if (output.json()) {
      io.objectbroker.internal.cli.Output.printJson(out, Map.of("passed", passed,
          "failed", failed, "cleaned_up", cleanedUp, "checks", results));
    } else {
      out.println(passed + " passed, " + failed + " failed");
    }
    return failed == 0 && cleanedUp ? Cli.OK : Cli.FAILED;
  }

  private void runChecks(Broker broker, ProvisioningService p, String image, String empty,
      String node, String other) {
    check("name server answers ping", () -> expect(broker.nameServer().ping() != null, "no answer"));
    check("name server knows " + name, () -> broker.nameServer().lookup(name));
    check("create_image " + image + " 16M", () -> p.createImage(image, IMAGE_BYTES));
    check("list_all_images lists it", () -> expect(p.listAllImages().contains(image),
        "missing from " + p.listAllImages()));
    check("provisioning an image without snapshots is refused", () -> expectThrows(
        SnapshotNotFoundException.class, () -> p.provision(image, node)));
    check("create_snapshot " + image + " golden", () -> p.createSnapshot(image, "golden"));
    check("list_snapshots gives [golden]", () -> expect(
        p.listSnapshots(image).equals(List.of("golden")), "got " + p.listSnapshots(image)));
    check("a second snapshot golden is refused", () -> expectThrows(
        SnapshotExistsException.class, () -> p.createSnapshot(image, "golden")));
    check("provision " + image + " " + node, () -> {
      Export e = p.provision(image, node);
      expect(e.node().equals(node) && e.iqn().endsWith(":" + node)
          && e.snapshot().equals("golden"), "unexpected export " + e);
    });
    check("provision " + image + " " + other, () -> p.provision(image, other));
    check("list_exports lists both nodes", () -> expect(p.listExports().stream()
        .filter(e -> e.node().equals(node) || e.node().equals(other)).count() == 2,
        "missing from " + p.listExports()));
    check("provisioning the node again is refused", () -> expectThrows(
        NodeInUseException.class, () -> p.provision(image, node)));
    check("provisioning a missing image is refused", () -> expectThrows(
        ImageNotFoundException.class, () -> p.provision(image + "-missing", node + "-x")));
    check("image_info names both nodes", () -> {
      ImageInfo info = p.imageInfo(image);
      expect(info.sizeBytes() == IMAGE_BYTES && info.nodes().containsAll(List.of(node, other)),
          "got " + info);
    });
    check("deleting an image with nodes is refused", () -> expectThrows(
        ImageInUseException.class, () -> p.deleteImage(image)));
    check("deleting a snapshot that nodes use is refused", () -> expectThrows(
        SnapshotInUseException.class, () -> p.deleteSnapshot(image, "golden")));
    iscsiChecks(broker, p, image, node, other);
    check("detach_node " + node + " and " + other, () -> {
      p.detachNode(node);
      p.detachNode(other);
    });
    check("list_exports no longer lists them", () -> expect(p.listExports().stream()
        .noneMatch(e -> e.node().equals(node) || e.node().equals(other)),
        "still in " + p.listExports()));
    check("detaching again is refused", () -> expectThrows(
        NodeNotFoundException.class, () -> p.detachNode(node)));
    check("deleting an image with snapshots is refused", () -> expectThrows(
        ImageHasSnapshotsException.class, () -> p.deleteImage(image)));
    check("delete_snapshot " + image + " golden", () -> p.deleteSnapshot(image, "golden"));
    check("delete_image " + image, () -> {
      p.deleteImage(image);
      expect(!p.listAllImages().contains(image), "still listed");
    });
    check("an image without snapshots can be deleted", () -> {
      p.createImage(empty, 1 << 20);
      p.deleteImage(empty);
      expect(!p.listAllImages().contains(empty), "still listed");
    });
  }

  /**
   * What the nodes see, through a real initiator: the LUN serves the guest disk (zeros, as
   * the image was created empty; never a qcow2 container), a block written through one node
   * reads back there and nowhere else, and a node provisioned again starts from the snapshot.
   */
  private void iscsiChecks(Broker broker, ProvisioningService p, String image, String node,
      String other) {
    String why = Initiator.unavailableReason();
    if (why != null) {
      line("skip", "iSCSI checks", why);
      return;
    }
    Initiator initiator = new Initiator(timeout);
    String at = portal != null ? portal : defaultPortal(broker);
    String iqn = iqnOf(p, node);
    String otherIqn = iqnOf(p, other);
    if (iqn == null || otherIqn == null) {
      check("iSCSI checks", () -> expect(false, "the nodes have no export to check"));
      return;
    }
    byte[] zeros = new byte[64 << 10];
    byte[] pattern = new byte[64 << 10];
    Arrays.fill(pattern, (byte) 0x5a);
    check("iSCSI " + at + ": " + node + "'s LUN has the image's size", () -> {
      long capacity = initiator.capacity(at, iqn);
      expect(capacity == IMAGE_BYTES, capacity + " bytes");
    });
    check("iSCSI: " + node + "'s LUN reads the guest disk, not an image file", () -> {
      byte[] start = initiator.read(at, iqn, 0, zeros.length);
      expect(Arrays.equals(start, zeros), start.length >= 4 && start[0] == 'Q'
          && start[1] == 'F' && start[2] == 'I' ? "it serves a qcow2 container" : "not zeros");
    });
    check("iSCSI: a block written through " + node + " reads back", () -> {
      initiator.write(at, iqn, 1 << 20, (byte) 0x5a, pattern.length);
      expect(Arrays.equals(initiator.read(at, iqn, 1 << 20, pattern.length), pattern),
          "read something else");
    });
    check("iSCSI: " + other + " does not see it", () -> expect(
        Arrays.equals(initiator.read(at, otherIqn, 1 << 20, zeros.length), zeros),
        "the write reached another node"));
    check("iSCSI: " + node + " detached and provisioned again starts from the snapshot", () -> {
      p.detachNode(node);
      Export again = p.provision(image, node);
      expect(Arrays.equals(initiator.read(at, again.iqn(), 1 << 20, zeros.length), zeros),
          "the node's old write is still there");
    });
  }

  private static String iqnOf(ProvisioningService p, String node) {
    return p.listExports().stream().filter(e -> e.node().equals(node)).map(Export::iqn)
        .findFirst().orElse(null);
  }

  /** The standard iSCSI port on the host that serves the provisioning service. */
  private String defaultPortal(Broker broker) {
    try {
      return Uri.parse(broker.nameServer().lookup(name)).address()
          .filter(a -> !a.isUnix()).map(a -> a.host() + ":3260").orElse("127.0.0.1:3260");
    } catch (RuntimeException e) {
      return "127.0.0.1:3260";
    }
  }

  /**
   * Removes what this run made, whatever the checks did: its nodes, its images' snapshots and
   * the images. Says what it could not remove; false then.
   */
  private boolean cleanUp(ProvisioningService p, List<String> nodes, List<String> images) {
    List<String> left = new ArrayList<>();
    try {
      for (Export e : p.listExports()) {
        if (nodes.contains(e.node())) {
          p.detachNode(e.node());
        }
      }
      for (String image : images) {
        if (p.listAllImages().contains(image)) {
          List<String> snapshots = new ArrayList<>(p.listSnapshots(image));
          java.util.Collections.reverse(snapshots);
          for (String snapshot : snapshots) {
            p.deleteSnapshot(image, snapshot);
          }
          p.deleteImage(image);
        }
      }
      for (String image : images) {
        if (p.listAllImages().contains(image)) {
          left.add(image);
        }
      }
    } catch (RuntimeException e) {
      line("fail", "cleanup", Cli.describe(e));
      return false;
    }
    if (!left.isEmpty()) {
      line("fail", "cleanup", "still there: " + String.join(", ", left));
      return false;
    }
    return true;
  }

  /**
   * The name servers of --ns with the first that answers in front: the name server checks
   * call {@code broker.nameServer()}, the first of the broker's list. If none answers, the list
   * as given, and the checks report why.
   */
  private List<Address> answeringFirst(List<Address> nameServers) {
    Address answering;
    try {
      answering = Cli.firstAnswering(nameServers, address -> {
        try (Broker probe = Broker.builder().nameServer(address).callTimeout(timeout)
            .tls(security.tls()).credentials(security.credentials()).build()) {
          probe.nameServer().ping();
        }
      });
    } catch (CommunicationException e) {
      return nameServers;
    }
    List<Address> ordered = new ArrayList<>(nameServers);
    ordered.remove(answering);
    ordered.add(0, answering);
    return ordered;
  }

  private void check(String title, Check check) {
    try {
      check.run();
      passed++;
      line("pass", title, null);
    } catch (Exception | AssertionError e) {
      failed++;
      line("fail", title, Cli.describe(e));
      if (verbose && !output.json()) {
        e.printStackTrace(out);
      }
    }
  }

  /**
   * A check's outcome: a line ({@code PASS title}, {@code FAIL title: why}), or, with
   * {@code --output json}, an entry of the document printed at the end.
   */
  private void line(String result, String title, String message) {
    if (output.json()) {
      Map<String, String> r = new java.util.LinkedHashMap<>();
      r.put("check", title);
      r.put("result", result);
      if (message != null) {
        r.put("message", message);
      }
      results.add(r);
    } else {
      out.println(result.toUpperCase(java.util.Locale.ROOT) + " " + title
          + (message == null ? "" : ": " + message));
    }
  }

  private static void expect(boolean condition, String otherwise) {
    if (!condition) {
      throw new AssertionError(otherwise);
    }
  }

  private static void expectThrows(Class<? extends Throwable> type, Check call) {
    try {
      call.run();
    } catch (Exception e) {
      if (type.isInstance(e)) {
        return;
      }
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + e);
    }
    throw new AssertionError("expected " + type.getSimpleName() + ", but the call succeeded");
  }

  /** Runs the command; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.run(new TestClassCommand(out), args, out, err);
  }

  public static void main(String[] args) {
    Cli.useLogging("cli");
    Cli.useShortLivedClientSettings();
    Cli.exit(run(args, System.out, System.err));
  }
}
