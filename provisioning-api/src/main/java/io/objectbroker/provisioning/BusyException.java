package io.objectbroker.provisioning;

/** The backend is busy with a conflicting operation; try again. */
public class BusyException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public BusyException(String message) {
    super(message);
  }
}
