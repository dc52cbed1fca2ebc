package io.objectbroker.provisioning;

/** An image of that name exists already. */
public class ImageExistsException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public ImageExistsException(String message) {
    super(message);
  }
}
