package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.NamingException;
import io.objectbroker.naming.Registration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite on the file store, and what it keeps across a reopening. */
class FileNameStoreTest extends NameStoreConformanceTest {

  @TempDir
  Path dir;

  @Override
  protected NameStore openStore() {
    return FileNameStore.open(dir.resolve("names.db"));
  }

  @Test
  void everythingIsThereAfterReopening() {
    ns.register("perm", "OB:p@h:1", Set.of("t"), false);
    ns.registerLease("lease", "OB:l@h:1", Set.of(), 5000, false);
    ns.registerLease("pool", "OB:a@h:1", Set.of(), 5000, true);
    ns.registerLease("pool", "OB:b@h:1", Set.of(), 5000, true);
    ns.register("gone", "OB:g@h:1", Set.of(), false);
    ns.remove("gone");
    store.close();
    store = FileNameStore.open(dir.resolve("names.db"));
    ns = new NameServerService(store, clock);
    assertThat(ns.lookupRegistration("perm"))
        .isEqualTo(new Registration("perm", "OB:p@h:1", Set.of("t")));
    assertThat(ns.lookupRegistration("lease").expiresAtMillis()).isEqualTo(START + 5000);
    assertThat(ns.lookupAll("pool")).hasSize(2);
    assertThat(ns.count()).isEqualTo(3);
    assertThat(store.registrationCount()).isEqualTo(4);
  }

  @Test
  void aSecondOpenerOfTheFileIsRefused() {
    assertThatThrownBy(() -> FileNameStore.open(dir.resolve("names.db")))
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("cannot open name store file " + dir.resolve("names.db"));
  }

  @Test
  void aMissingDirectoryIsNamed() {
    assertThatThrownBy(() -> FileNameStore.open(dir.resolve("no/such/names.db")))
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("directory " + dir.resolve("no/such") + " does not exist");
    assertThat(Files.exists(dir.resolve("no"))).isFalse();
  }
}
