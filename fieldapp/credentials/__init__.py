"""The visitor's e-credential (电子亮证) and firms' confirmations of visits."""
