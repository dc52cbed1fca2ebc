package io.objectbroker.testclass;

import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.ImageHasSnapshotsException;
import io.objectbroker.provisioning.ImageNotFoundException;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.SnapshotExistsException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code testclass}: checks a live deployment end to end, through the name server and the
 * broker, as the original testclass.py checked MainServer: each check prints PASS or FAIL with
 * the reason, then a summary line. It creates images named {@code testclass-<time>-*} (an image
 * with snapshots cannot be deleted, so those stay) and a node it detaches again.
 */
@Command(name = "testclass", mixinStandardHelpOptions = true, version = "testclass 0.1",
    description = "Checks a live provisioning service end to end and reports each check.",
    footer = {"", "Environment:",
        "  OB_NS   the name server's host:port, or several, comma-separated, tried in turn",
        "          (default 127.0.0.1:9090)"})
public final class TestClassCommand implements Callable<Integer> {

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

  @Option(names = "--verbose", description = "Print stack traces of failed checks.")
  boolean verbose;

  private final PrintStream out;
  private int passed;
  private int failed;

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
    List<Address> nameServers = answeringFirst(Cli.nameServers("--ns", ns));
    try (Broker broker = Broker.builder().nameServers(nameServers).callTimeout(timeout).build()) {
      ProvisioningService p = broker.proxy(ProvisioningService.class, name);
      check("name server answers ping", () -> expect(broker.nameServer().ping() != null, "no answer"));
      check("name server knows " + name, () -> broker.nameServer().lookup(name));
      check("create_image " + image, () -> p.createImage(image, 16 << 20));
      check("list_all_images lists it", () -> expect(p.listAllImages().contains(image),
          "missing from " + p.listAllImages()));
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
      check("list_exports lists the node", () -> expect(p.listExports().stream()
          .anyMatch(e -> e.node().equals(node)), "missing from " + p.listExports()));
      check("provisioning the node again is refused", () -> expectThrows(
          NodeInUseException.class, () -> p.provision(image, node)));
      check("provisioning a missing image is refused", () -> expectThrows(
          ImageNotFoundException.class, () -> p.provision(run + "-missing", run + "-other")));
      check("deleting an image with snapshots is refused", () -> expectThrows(
          ImageHasSnapshotsException.class, () -> p.deleteImage(image)));
      check("detach_node " + node, () -> p.detachNode(node));
      check("list_exports no longer lists the node", () -> expect(p.listExports().stream()
          .noneMatch(e -> e.node().equals(node)), "still in " + p.listExports()));
      check("detaching it again is refused", () -> expectThrows(
          NodeNotFoundException.class, () -> p.detachNode(node)));
      check("an image without snapshots can be deleted", () -> {
        p.createImage(empty, 1 << 20);
        p.deleteImage(empty);
        expect(!p.listAllImages().contains(empty), "still listed");
      });
    }
    out.println(passed + " passed, " + failed + " failed");
    return failed == 0 ? Cli.OK : Cli.FAILED;
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
        try (Broker probe = Broker.builder().nameServer(address).callTimeout(timeout).build()) {
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
      out.println("PASS " + title);
    } catch (Exception | AssertionError e) {
      failed++;
      out.println("FAIL " + title + ": " + Cli.describe(e));
      if (verbose) {
        e.printStackTrace(out);
      }
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
