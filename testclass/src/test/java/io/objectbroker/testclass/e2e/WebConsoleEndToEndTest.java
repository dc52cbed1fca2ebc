package io.objectbroker.testclass.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.objectbroker.InterfaceDescription;
import io.objectbroker.gateway.Gateway;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.testclass.iscsi.Initiator;
import io.objectbroker.testclass.iscsi.GuestDisks;
import io.objectbroker.testclass.iscsi.TgtdServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web console as an operator uses it, in a real browser (headless Chromium driven through
 * chromium-driver): it shows the names, servers and images, provisions a node from a form
 * behind a confirmation, and the node's initiator then reads the guest disk through tgt;
 * a detach is confirmed (a cancel changes nothing), and a refused action shows the service's
 * error. The gateway, the name server, the provisioning server and tgtd are all real.
 */
class WebConsoleEndToEndTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int MIB = 1 << 20;
  /** A name registered but not exposed by the gateway. */
  private static final String HIDDEN = "example.hidden";

  @TempDir Path dir;

  private TgtdServer tgtd;
  private MainServer service;
  private NameServerHost nameServer;
  private ObjectServer server;
  private Gateway gateway;
  private ChromeDriver browser;
  private Path source;

  @BeforeEach
  void start() throws IOException {
    String skip = TgtdServer.skipReason();
    Assumptions.assumeTrue(skip == null, skip);
    String noBrowser = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER) ? null
        : "no headless browser: install chromium and chromium-driver";
    noBrowser = TgtdServer.skipReason(noBrowser, System.getenv(TgtdServer.REQUIRE_ENV));
    Assumptions.assumeTrue(noBrowser == null, noBrowser);

    tgtd = TgtdServer.start();
    Path data = dir.resolve("data");
    Files.createDirectories(data.resolve("import"));
    source = data.resolve("import/disk.raw");
    GuestDisks.sparseRandom(source, 8, 7);
    service = MainServer.open(data, tgtd.controlPort());
    service.importImage("img1", "disk.raw");
    service.createSnapshot("img1", "golden");
    service.createImage("img2", 16L * MIB);

    nameServer = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
    server = ObjectServer.builder().nameServer(nameServer.server().address()).build()
        .register(ProvisioningService.DEFAULT_NAME, service).register(HIDDEN, service).start();
    gateway = Gateway.builder().port(0).nameServers(List.of(nameServer.server().address()))
        .expose(ProvisioningService.DEFAULT_NAME).build().start();

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
        "--window-size=1280,1000");
    browser = new ChromeDriver(new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build(), options);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (server != null) {
      server.close();
    }
    if (nameServer != null) {
      nameServer.close();
    }
    if (service != null) {
      service.withdrawAndClose();
    }
    if (tgtd != null) {
      tgtd.close();
    }
  }

  @Test
  void anOperatorProvisionsANodeFromTheConsoleAndItsInitiatorReadsTheGuestDisk()
      throws IOException {
    browser.get(gateway.url());

    // What is there: the service's name and server, and its images.
    await().atMost(WAIT).until(() -> text("names").contains(ProvisioningService.DEFAULT_NAME));
    assertThat(text("names")).contains(server.uri(ProvisioningService.DEFAULT_NAME).toString());
    assertThat(text("servers")).contains(server.address().toString());
    await().atMost(WAIT).until(() -> text("images").contains("img2"));
    assertThat(row("images", "img1")).contains("8M", "golden");
    assertThat(row("images", "img2")).contains("16M");
    assertThat(text("exports")).contains("no exports");

    // Provision, behind a confirmation.
    click(By.cssSelector("#provision-image option[value='img1']"));
    browser.findElement(By.id("provision-node")).sendKeys("node3");
    browser.findElement(By.id("provision")).click();
    WebElement dialog = browser.findElement(By.id("confirm"));
    await().atMost(WAIT).until(dialog::isDisplayed);
    assertThat(dialog.getText()).contains("Provision img1 to node node3?");
    browser.findElement(By.id("confirm-yes")).click();

    await().atMost(WAIT).until(() -> text("exports").contains("node3"));
    String iqn = "iqn.2026-11.io.objectbroker:node3";
    assertThat(row("exports", "node3")).contains(iqn, "img1", "golden");
    await().atMost(WAIT).untilAsserted(() -> assertThat(browser.findElement(By.id("status"))
        .getText()).contains("provisioned node3"));
    assertThat(service.listExports()).extracting(Export::node).containsExactly("node3");
    // The node's side: its LUN serves the guest disk's bytes.
    assertThat(new Initiator().sameAs(tgtd.portal(), iqn, source)).isTrue();
    await().atMost(WAIT).until(() -> row("images", "img1").contains("node3"));

    // A refused action: the service's error, in the operator's words.
    browser.findElement(By.id("provision")).click();
    await().atMost(WAIT).until(dialog::isDisplayed);
    browser.findElement(By.id("confirm-yes")).click();
    await().atMost(WAIT).untilAsserted(() -> assertThat(browser.findElement(By.id("status"))
        .getText()).contains("NodeInUseException: node node3 is already provisioned from"
            + " img1@golden"));

    // The calls the console made, counted live.
    await().atMost(WAIT).untilAsserted(() -> assertThat(cells("calls", "provision"))
        .startsWith(ProvisioningService.DEFAULT_NAME, "provision", "2", "1"));
    Files.createDirectories(Path.of("target"));
    Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(),
        Path.of("target/console.png"), StandardCopyOption.REPLACE_EXISTING);

    // Detach: cancelled changes nothing; confirmed removes the export and its target.
    click(By.cssSelector("#exports tr[data-node='node3'] button.detach"));
    await().atMost(WAIT).until(dialog::isDisplayed);
    assertThat(dialog.getText()).contains("Detach node node3?");
    browser.findElement(By.id("confirm-no")).click();
    await().atMost(WAIT).until(() -> !dialog.isDisplayed());
    assertThat(service.listExports()).extracting(Export::node).containsExactly("node3");

    click(By.cssSelector("#exports tr[data-node='node3'] button.detach"));
    await().atMost(WAIT).until(dialog::isDisplayed);
    browser.findElement(By.id("confirm-yes")).click();
    await().atMost(WAIT).until(() -> text("exports").contains("no exports"));
    assertThat(service.listExports()).isEmpty();
    assertThat(tgtd.showTargets()).isBlank();
  }

  @Test
  void anOperatorOpensANameAndSeesItsInterfaceWhichStaysOpenAcrossRedraws() throws IOException {
    browser.get(gateway.url());
    await().atMost(WAIT).until(() -> text("names").contains(HIDDEN));

    click(By.cssSelector("#names tr[data-name='" + ProvisioningService.DEFAULT_NAME
        + "'] button.open-name"));
    await().atMost(WAIT).until(() -> method("provision").contains("provision("));
    assertThat(method("provision")).startsWith("provision(string image, string node) -> ")
        .contains("role operator", "NodeInUseException",
            "Clones IMAGE at its newest snapshot into a disk for NODE");
    assertThat(method("listAllImages")).startsWith("listAllImages() -> ")
        .contains("readonly", "The names of all images, sorted.");
    String sha256 = InterfaceDescription.of(ProvisioningService.class).sha256();
    assertThat(browser.findElement(By.cssSelector("tr.interface .checksum")).getText())
        .contains(sha256.substring(0, 12)).doesNotContain(sha256);
    assertThat(browser.findElement(By.cssSelector("tr.interface .checksum"))
        .getAttribute("title")).isEqualTo(sha256);
    assertThat(openInterface()).contains(ProvisioningService.class.getName());

    // Two redraws later it is still open, under its name.
    for (int i = 0; i < 2; i++) {
      String updated = browser.findElement(By.id("updated")).getText();
      await().atMost(WAIT).until(() -> !browser.findElement(By.id("updated")).getText()
          .equals(updated));
    }
    assertThat(method("provision")).startsWith("provision(string image, string node) -> ");
    Files.createDirectories(Path.of("target"));
    Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(),
        Path.of("target/console-interface.png"), StandardCopyOption.REPLACE_EXISTING);

    // A name the gateway does not expose: the gateway's refusal, on one line, instead.
    click(By.cssSelector("#names tr[data-name='" + HIDDEN + "'] button.open-name"));
    await().atMost(WAIT).until(() -> openInterface().contains("NotExposed"));
    assertThat(openInterface()).startsWith("NotExposed: " + HIDDEN + " is not exposed by this"
        + " gateway").doesNotContain("\n");
    assertThat(method("provision")).isEmpty();

    // Opened again, it closes.
    click(By.cssSelector("#names tr[data-name='" + HIDDEN + "'] button.open-name"));
    await().atMost(WAIT).until(() -> openInterface().isEmpty());
  }

  /** The text of the open interface's row, "" if none is open. */
  private String openInterface() {
    return (String) browser.executeScript("const r = document.querySelector("
        + "'#names tr.interface'); return r ? r.innerText.trim() : ''");
  }

  /** The text of the open interface's line for {@code method}, "" if there is none. */
  private String method(String method) {
    return (String) browser.executeScript("const li = document.querySelector("
        + "'#names tr.interface li[data-method=\"' + arguments[0] + '\"]');"
        + " return li ? li.innerText.trim() : ''", method);
  }

  // The page redraws its tables every two seconds: each look at one is one script in the
  // browser, and a click on a row's button is tried again if that row was just redrawn.

  private String text(String table) {
    return (String) browser.executeScript(
        "return document.getElementById(arguments[0]).innerText", table);
  }

  /** The cells' texts of each row of {@code table}'s body, read at one moment. */
  @SuppressWarnings("unchecked")
  private List<List<String>> rows(String table) {
    return (List<List<String>>) browser.executeScript("return [...document.querySelectorAll("
        + "'#' + arguments[0] + ' tbody tr')].map(tr => [...tr.cells].map(td =>"
        + " td.innerText.trim()))", table);
  }

  /** The cells' texts of the row of {@code table} with a cell {@code key}; empty if none. */
  private List<String> cells(String table, String key) {
    return rows(table).stream().filter(r -> r.contains(key)).findFirst().orElse(List.of());
  }

  /** The text of the row of {@code table} that holds {@code key}, or "" if none does. */
  private String row(String table, String key) {
    return rows(table).stream().map(r -> String.join(" ", r)).filter(r -> r.contains(key))
        .findFirst().orElse("");
  }

  private void click(By what) {
    await().atMost(WAIT).ignoreException(StaleElementReferenceException.class)
        .untilAsserted(() -> browser.findElement(what).click());
  }
}
