package io.objectbroker.examples.describe;

import io.objectbroker.Doc;
import io.objectbroker.Idempotent;
import io.objectbroker.Remote;
import java.util.List;

/** A catalog of parts, as the server serves it now (version 2). */
@Remote
@Doc("Parts and their prices.")
public interface Catalog {

  @Doc("The names of all parts, sorted.")
  @Idempotent
  List<String> parts();

  @Doc("The price of PART in cents, in CURRENCY (version 2 added the currency).")
  long price(String part, String currency);
}
