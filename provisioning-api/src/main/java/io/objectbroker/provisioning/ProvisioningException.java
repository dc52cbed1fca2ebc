package io.objectbroker.provisioning;

/** The base of every error of the provisioning service. */
public class ProvisioningException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ProvisioningException(String message) {
    super(message);
  }

  public ProvisioningException(String message, Throwable cause) {
    super(message, cause);
  }
}
