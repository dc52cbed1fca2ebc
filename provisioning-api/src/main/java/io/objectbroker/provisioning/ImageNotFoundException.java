package io.objectbroker.provisioning;

/** The named image does not exist. */
public class ImageNotFoundException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public ImageNotFoundException(String message) {
    super(message);
  }
}
