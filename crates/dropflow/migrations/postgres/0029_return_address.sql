-- The merchant's own address for returned goods (a JSON postal address, checked like a
-- shipping address when set): where a customer sends back what came straight from a supplier
-- or vendor. NULL: none given, and the customer is told the merchant will send one.
ALTER TABLE stores ADD COLUMN return_address TEXT;
