FROM php:8.2-apache
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends libfreetype6-dev libjpeg-dev libpng-dev; \
	docker-php-ext-configure gd --with-freetype --with-jpeg; \
	docker-php-ext-install -j "$(nproc)" gd mysqli opcache zip; \
	apt-mark auto '.*' > /dev/null; \
	ldd "$(php -r 'echo ini_get("extension_dir");')"/*.so \
		| awk '/=>/ { print $3 }' \
		| sort -u \
		| xargs -r dpkg-query -S \
		| cut -d: -f1 \
		| sort -u \
		| xargs -rt apt-mark manual; \
	rm -rf /var/lib/apt/lists/*
RUN a2enmod rewrite expires && echo 'ServerName localhost' >> /etc/apache2/apache2.conf
